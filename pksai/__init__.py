"""PKSAI: information system for Indonesia's Integrated Child Welfare Services."""

__version__ = "0.1.0"
