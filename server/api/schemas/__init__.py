"""Marshmallow schemas of the API: what goes in and what comes out."""
