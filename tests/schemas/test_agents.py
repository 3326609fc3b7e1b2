"""Actors, Agents, Groups, identifiers, accounts and authority (AGT, IFI, AUTH-2), and validate_agent."""
import copy

import pytest

import schemas

from .helpers import AGENT, AGENT2, VERSIONS, accept, put, reject, statement, substatement

SHA1 = "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"
ACCOUNT = {"homePage": "http://www.example.com", "name": "xAPI account name"}
IDENTIFIERS = [{"mbox": "mailto:a@example.com"}, {"mbox_sha1sum": SHA1}, {"mbox_sha1sum": SHA1.upper()},
               {"openid": "http://openid.example.org/12345"}, {"account": ACCOUNT}]
# Every position at which an Agent is validated (AGT-6).
AGENT_POSITIONS = ["actor", "object", "authority", "context.instructor", "object.actor", "object.object",
                   "object.context.instructor"]


def at_position(position, agent):
    data = statement()
    if position.startswith("object."):
        data["object"] = substatement()
        return put(data, position, agent)
    if position == "context.instructor":
        return put(data, position, agent)
    data[position] = copy.deepcopy(agent)
    return data


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_an_agent_with_each_kind_of_identifier_is_accepted_AGT_4(version, identifier):
    assert accept(statement(actor=identifier), version)["actor"] == identifier


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("position", AGENT_POSITIONS)
def test_agents_are_validated_at_every_position_AGT_6(version, position):
    accept(at_position(position, AGENT), version)
    reject(at_position(position, {"objectType": "Agent", "mbox": "mailto:should.fail.com"}), version, "IFI-1")
    reject(at_position(position, {"objectType": "Agent", "name": "no identifier"}), version, "AGT-4")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("agent", [{"name": "nobody"}, {},
                                   {"mbox": "mailto:a@example.com", "mbox_sha1sum": SHA1},
                                   {"openid": "http://openid.example.org/1", "account": ACCOUNT}])
def test_an_agent_needs_exactly_one_identifier_AGT_4(version, agent):
    reject(statement(actor=agent), version, "AGT-4", ["actor"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("object_type", ["agent", "Person", "group", "Activity", "SubStatement"])
def test_an_actor_object_type_other_than_agent_or_group_is_rejected_AGT_1(version, object_type):
    reject(statement(actor=dict(AGENT, objectType=object_type)), version, "AGT-1", ["actor", "objectType"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", [1, {"x": 1}, ["Agent"]])
def test_an_agent_object_type_that_is_not_a_string_is_rejected_AGT_2(version, value):
    reject(statement(actor=dict(AGENT, objectType=value)), version, "GEN-3", ["actor", "objectType"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", [1, {"x": 1}, ["A"], True])
def test_an_agent_name_must_be_a_string_AGT_3(version, value):
    reject(statement(actor=dict(AGENT, name=value)), version, "AGT-3", ["actor", "name"])


@pytest.mark.parametrize("version", VERSIONS)
def test_member_on_an_agent_is_rejected_AGT_5(version):
    reject(statement(actor=dict(AGENT, member=[AGENT2])), version, "AGT-5", ["actor", "member"])


@pytest.mark.parametrize("version", VERSIONS)
def test_an_unknown_agent_property_is_rejected_AGT_5_GEN_9(version):
    reject(statement(actor=dict(AGENT, age=3)), version, "AGT-5", ["actor", "age"])


@pytest.mark.parametrize("version", VERSIONS)
def test_a_group_without_object_type_is_read_as_an_agent_and_rejected_AGT_7(version):
    reject(statement(actor={"member": [AGENT]}), version, "AGT-5")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("group", [{"objectType": "Group", "member": [AGENT, AGENT2]},
                                   {"objectType": "Group", "name": "team", "mbox": "mailto:t@example.com",
                                    "member": []},
                                   {"objectType": "Group", "mbox": "mailto:team@example.com"},
                                   {"objectType": "Group", "account": ACCOUNT, "member": [AGENT]}])
def test_anonymous_and_identified_groups_are_accepted_AGT_9_AGT_10(version, group):
    assert accept(statement(actor=group), version)["actor"] == group


@pytest.mark.parametrize("version", VERSIONS)
def test_an_anonymous_group_without_member_is_rejected_AGT_9(version):
    reject(statement(actor={"objectType": "Group", "name": "nobody"}), version, "AGT-9", ["actor"])


EMPTY_GROUP = {"objectType": "Group", "name": "nobody", "member": []}
# Every position at which a Group is validated: AGENT_POSITIONS but authority (AUTH-2 has its own
# rule, tested below), plus context.team inside and outside a SubStatement.
GROUP_POSITIONS = [p for p in AGENT_POSITIONS if p != "authority"] + ["context.team", "object.context.team"]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("position", GROUP_POSITIONS)
def test_an_anonymous_group_with_an_empty_member_list_is_rejected_AGT_9(version, position):
    """issue 11, defect 5: Data 2.4.2.2 wants an anonymous Group to list its members; [] lists none."""
    data = at_position(position, EMPTY_GROUP) if position.startswith("object.") \
        else put(statement(), position, EMPTY_GROUP)
    error = reject(data, version, "AGT-9")
    assert error.path[-1] == "member" and "at least one member" in error.message


@pytest.mark.parametrize("version", VERSIONS)
def test_an_authority_group_with_an_empty_member_list_is_rejected_AGT_9_AUTH_2(version):
    reject(statement(authority=EMPTY_GROUP), version, "AGT-9")


@pytest.mark.parametrize("in_substatement", [False, True])
def test_an_anonymous_context_group_with_an_empty_member_list_is_rejected_AGT_9_CAG_6(in_substatement):
    context = {"contextGroups": [{"objectType": "contextGroup", "group": EMPTY_GROUP}]}
    data = statement(object=substatement(context=context)) if in_substatement else statement(context=context)
    reject(data, "2.0.0", "AGT-9")


@pytest.mark.parametrize("version", VERSIONS)
def test_an_agent_parameter_naming_an_anonymous_group_with_no_members_is_rejected_QRY_11(version):
    with pytest.raises(schemas.XAPIValidationError):
        schemas.validate_agent(EMPTY_GROUP, version)


@pytest.mark.parametrize("version", VERSIONS)
def test_an_identified_group_with_two_identifiers_is_rejected_AGT_10(version):
    group = {"objectType": "Group", "mbox": "mailto:t@example.com", "openid": "http://openid.example.org/t"}
    reject(statement(actor=group), version, "AGT-10", ["actor"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("member", [AGENT, "mailto:a@example.com", [[AGENT]]])
def test_member_must_be_an_array_of_agents_AGT_11(version, member):
    reject(statement(actor={"objectType": "Group", "member": member}), version, "AGT-11")


@pytest.mark.parametrize("version", VERSIONS)
def test_an_invalid_member_agent_is_rejected_with_its_index_AGT_11(version):
    group = {"objectType": "Group", "member": [AGENT, {"mbox": "bad"}]}
    reject(statement(actor=group), version, "IFI-1", ["actor", "member", 1, "mbox"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("identified", [False, True])
def test_a_group_inside_member_is_rejected_AGT_12(version, identified):
    inner = {"objectType": "Group", "mbox": "mailto:inner@example.com"}
    group = {"objectType": "Group", "member": [inner]}
    if identified:
        group["mbox"] = "mailto:outer@example.com"
    reject(statement(actor=group), version, "AGT-12", ["actor", "member", 0, "objectType"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", [1, ["g"]])
def test_a_group_name_must_be_a_string_AGT_8(version, value):
    reject(statement(actor={"objectType": "Group", "name": value, "member": [AGENT]}), version, "AGT-8")


@pytest.mark.parametrize("version", VERSIONS)
def test_an_unknown_group_property_is_rejected_AGT_13(version):
    reject(statement(actor={"objectType": "Group", "member": [AGENT], "size": 1}), version, "AGT-13")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kind", ["Agent", "Group"])
def test_an_agent_or_group_object_without_object_type_is_rejected_AGT_14(version, kind):
    obj = {"mbox": "mailto:a@example.com"} if kind == "Agent" else {"member": [AGENT]}
    reject(statement(object=obj), version, "AGT-14", ["object"])
    assert accept(statement(object=dict(obj, objectType=kind)), version)["object"]["objectType"] == kind


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("instructor", [AGENT, {"mbox": "mailto:i@example.com"},
                                        {"objectType": "Group", "member": [AGENT]},
                                        {"objectType": "Group", "mbox": "mailto:g@example.com"}])
def test_an_instructor_may_be_an_agent_or_a_group_AGT_16_CTX_3(version, instructor):
    accept(statement(context={"instructor": instructor}), version)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("mbox", ["mailto:learner@example.com", "mailto:first.last+tag@sub.example.co.uk"])
def test_a_valid_mbox_is_accepted_IFI_1(version, mbox):
    accept(statement(actor={"mbox": mbox}), version)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("mbox", ["http://example.com/a", "mailto:should.fail.com", "learner@example.com",
                                  "mailto:", "mailto:@example.com", "mailto:a@", "mailto:a b@example.com",
                                  "mailto:a@b@example.com", "MAILTO:a@example.com", "", 12])
def test_an_invalid_mbox_is_rejected_IFI_1(version, mbox):
    reject(statement(actor={"mbox": mbox}), version, "IFI-1", ["actor", "mbox"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", [SHA1[:-1], SHA1 + "0", "g" * 40, "", 12, "mailto:a@example.com"])
def test_an_invalid_mbox_sha1sum_is_rejected_IFI_2(version, value):
    reject(statement(actor={"mbox_sha1sum": value}), version, "IFI-2", ["actor", "mbox_sha1sum"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", ["ab=c://should.fail.com", "open.id.com/x", "", 12, "http://a b.com/"])
def test_an_invalid_openid_is_rejected_IFI_3(version, value):
    reject(statement(actor={"openid": value}), version, "IFI-3", ["actor", "openid"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("account, path", [
    ({"homePage": "http://www.example.com"}, ["name"]),
    ({"name": "n"}, ["homePage"]),
    ({"homePage": "http://www.example.com", "name": 12}, ["name"]),
    ({"homePage": "ab=c://should.fail.com", "name": "n"}, ["homePage"]),
    ({"homePage": "homePage.com/x", "name": "n"}, ["homePage"]),
    ({"homePage": "http://www.example.com", "name": "n", "extra": 1}, ["extra"]),
    ("http://www.example.com|n", []),
])
def test_an_invalid_account_is_rejected_IFI_4(version, account, path):
    reject(statement(actor={"account": account}), version, "IFI-4", ["actor", "account"] + path)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("authority", [AGENT, {"mbox": "mailto:auth@example.com"},
                                       {"objectType": "Group", "member": [AGENT, AGENT2]}])
def test_an_agent_or_anonymous_two_agent_group_authority_is_accepted_AUTH_2_STRICT_9(version, authority):
    assert accept(statement(authority=authority), version)["authority"] == authority


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("authority", [
    {"objectType": "Group", "mbox": "mailto:g@example.com", "member": [AGENT, AGENT2]},
    {"objectType": "Group", "mbox": "mailto:g@example.com"},
    {"objectType": "Group", "member": [AGENT]},
    {"objectType": "Group", "member": [AGENT, AGENT2, {"mbox": "mailto:third@example.com"}]},
])
def test_an_identified_group_or_wrong_sized_group_authority_is_rejected_AUTH_2_STRICT_9(version, authority):
    reject(statement(authority=authority), version, "AUTH-2", ["authority"] + (["member"] if "mbox" not in authority else []))


@pytest.mark.parametrize("version", VERSIONS)
def test_a_substatement_authority_is_rejected_SUB_3(version):
    reject(statement(object=substatement(authority=AGENT)), version, "SUB-3", ["object", "authority"])


# --- validate_agent: the agent query parameter (QRY-11, GPROF-3, STATE-3) ---------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("agent", [AGENT, {"mbox": "mailto:a@example.com"}, {"account": ACCOUNT},
                                   {"objectType": "Group", "mbox": "mailto:g@example.com"}])
def test_validate_agent_accepts_agents_and_identified_groups_QRY_11(version, agent):
    out = schemas.validate_agent(agent, version)
    assert out == agent and out is not agent


@pytest.mark.parametrize("version", VERSIONS)
def test_validate_agent_rejects_anonymous_groups_AGT_15(version):
    with pytest.raises(schemas.XAPIValidationError) as caught:
        schemas.validate_agent({"objectType": "Group", "member": [AGENT]}, version)
    assert "AGT-15" in caught.value.message and caught.value.message.startswith("agent: ")


@pytest.mark.parametrize("version", VERSIONS)
def test_validate_agent_rejects_groups_when_not_allowed_GPROF_3(version):
    with pytest.raises(schemas.XAPIValidationError, match="GPROF-3"):
        schemas.validate_agent({"objectType": "Group", "mbox": "mailto:g@example.com"}, version, allow_group=False)
    assert schemas.validate_agent(AGENT, version, allow_group=False) == AGENT


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("agent, path", [("wrong", []), ({"mbox": "wrong"}, ["mbox"]), ({}, []),
                                         ({"mbox": "mailto:a@example.com", "x": 1}, ["x"]), (None, [])])
def test_validate_agent_rejects_invalid_agents_with_path_GEN_17(version, agent, path):
    with pytest.raises(schemas.XAPIValidationError) as caught:
        schemas.validate_agent(agent, version)
    assert caught.value.path == path
    assert caught.value.message.startswith("agent")
