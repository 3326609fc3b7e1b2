"""Reports for auditors (issue 13), computed from a store's statements. No Flask here."""
