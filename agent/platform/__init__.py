"""What differs per operating system, one module per concern and system (issue 15).

windows_registry.py: managed policy from HKLM/HKCU\\SOFTWARE\\Policies\\Postseal.
"""
