"""Puncta: the clinical system for medical microneedling clinics."""

__version__ = "0.1.0"
