"""An xAPI Learning Record Store.

The package root imports nothing: `lrs.store`, `lrs.xapi` and `schemas` load without Flask.
`lrs.app.create_app()` builds the Flask application; `lrs.services` wires the layers together.
"""
