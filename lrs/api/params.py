"""Query parameters as the xAPI handlers see them (alternate-syntax form fields included)."""
from flask import request

from ..errors import BadRequest


def parameters():
    """One value per parameter name; a repeated name is an error (GEN-17)."""
    params = {}
    for name, values in request.args.lists():
        if len(values) > 1:
            raise BadRequest("parameter %s is given more than once" % name)
        params[name] = values[0]
    return params


def allow_only(params, allowed, resource):
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise BadRequest("unknown parameter(s) %s for %s; names are case-sensitive (QRY-10, DOC-11)"
                         % (", ".join(unknown), resource))
