"""Reads for the staffing pages, one module per page: members, rota, registrations,
training and reviews."""
