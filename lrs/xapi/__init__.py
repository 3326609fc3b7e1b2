"""The xAPI rules: what happens to a statement or document between the HTTP layer and the store."""
