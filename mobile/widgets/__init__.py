"""Reusable widgets: large form fields and charts drawn with canvas instructions."""
