"""Inspection (PHI/PII detectors) and the rules that turn findings into a verdict."""
