"""Writers of the policy templates, one module per target: Windows (ADMX/ADML), Apple
(configuration profile, Jamf Pro schema), and the admin documentation table. Each turns the
schema (installers/policy.schema.json) into bytes; installers/generate.py writes them."""
