"""MedBookings Desktop: the front-desk application of a clinic."""

__version__ = "0.1.0"
