"""The weekly figures page, its CSV and its trend charts (drawn as SVG on the server)."""
