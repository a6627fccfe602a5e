"""Build-time tools for installing Postseal (not shipped in the agent package).

`python -m installers.generate` (or `make policy-templates`) writes every policy template from
installers/policy.schema.json; see installers/policy_templates/.
"""
