"""Who may see, and who may act on, each kind of object: one module per kind.

Every door (pages, the API for staff sessions and client tokens alike, exports, the
admin) starts from these. The written matrix is docs/access.md; the code follows it.
"""
