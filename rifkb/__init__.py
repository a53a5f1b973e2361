"""rifkb: a living evidence base for recurrent implantation failure (RIF) and IVIg."""

__version__ = "0.1.0"
