"""Identity of Agents and Groups: inverse functional identifiers (IFI-5, IFI-6)."""

IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")


def agent_key(actor):
    """A string naming the actor's identifier, or None for an anonymous Group.

    Two actors with equal keys are the same actor (IFI-5). The mbox domain is case-folded,
    the local part kept (IFI-6).
    """
    if "mbox" in actor:
        local, _, domain = actor["mbox"].partition("@")
        return "mbox:" + local + "@" + domain.lower()
    if "mbox_sha1sum" in actor:
        return "sha1:" + actor["mbox_sha1sum"].lower()
    if "openid" in actor:
        return "openid:" + actor["openid"]
    account = actor.get("account")
    if account is not None:
        return "account:" + account["homePage"] + "|" + account["name"]
    return None


def actor_keys(actor):
    """The keys of an actor and, for a Group, of its members (QRY-14)."""
    keys = []
    own = agent_key(actor)
    if own:
        keys.append(own)
    for member in actor.get("member", ()):
        key = agent_key(member)
        if key:
            keys.append(key)
    return keys


def identifier_only(actor):
    """The actor reduced to objectType and identifier (format=ids, QRY-31)."""
    reduced = {}
    if "objectType" in actor:
        reduced["objectType"] = actor["objectType"]
    for name in IFI_PROPERTIES:
        if name in actor:
            reduced[name] = actor[name]
            break
    else:
        if actor.get("objectType") == "Group":
            reduced["member"] = [identifier_only(m) for m in actor.get("member", ())]
    return reduced


def person(agent, names):
    """The Person object for an Agent (AGENTS-3, AGENTS-5, AGENTS-6)."""
    result = {"objectType": "Person"}
    all_names = list(names)
    if agent.get("name") and agent["name"] not in all_names:
        all_names.insert(0, agent["name"])
    if all_names:
        result["name"] = all_names
    for name in IFI_PROPERTIES:
        if name in agent:
            result[name] = [agent[name]]
    return result


class AgentService:
    """The Agents resource (AGENTS-1..AGENTS-8) over the names the store saw in statements."""

    def __init__(self, storage):
        self.storage = storage

    def person_of(self, store_id, agent):
        """The Person for an identified Agent: its identifier and every name seen with it.

        Only the requested identifier is returned, since linking identifiers needs a permission
        this LRS does not grant (AGENTS-7).
        """
        return person(agent, self.storage.get_agent_names(store_id, agent_key(agent)))
