"""The local web app of `rifkb serve`: screening, corrections, figures and the links query
of one corpus in a browser, on 127.0.0.1 only (see app.py)."""
