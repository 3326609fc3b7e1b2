"""GET /xapi/about (ABOUT-1..ABOUT-6): no credentials, any version header."""
from flask import jsonify

from . import lrs, xapi


@xapi.route("/about", methods=["GET"])
def about():
    return jsonify({"version": list(lrs().settings.xapi_versions), "extensions": {}})
