"""E-mail alerts of a tenant: before the cut-off for what is still to file, and at once when the
deposit point refuses (ARE) or rejects (BAN) a declaration, an organism's CRM is KO or a
transmission fails. Every alert is a row (who, what, when, how its delivery went)."""
