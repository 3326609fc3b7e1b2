"""Report settings and grants (issue 13): per-store settings (the completion rule) and the other stores a
credential may read reports of, kept by every backend."""


def test_a_store_has_no_setting_until_one_is_kept(storage, store):
    assert storage.get_store_setting(store, "reports.completion_rule") is None


def test_a_setting_is_kept_and_replaced(storage, store):
    storage.set_store_setting(store, "reports.completion_rule", '{"a": 1}')
    storage.set_store_setting(store, "reports.completion_rule", '{"a": 2}')
    assert storage.get_store_setting(store, "reports.completion_rule") == '{"a": 2}'


def test_setting_none_removes_it(storage, store):
    storage.set_store_setting(store, "reports.completion_rule", "x")
    storage.set_store_setting(store, "reports.completion_rule", None)
    assert storage.get_store_setting(store, "reports.completion_rule") is None


def test_settings_are_per_store(storage, store, other_store):
    storage.set_store_setting(store, "reports.completion_rule", "mine")
    assert storage.get_store_setting(other_store, "reports.completion_rule") is None


def test_a_setting_survives_reopening(opener, storage, store):
    storage.set_store_setting(store, "reports.completion_rule", "kept")
    assert opener().get_store_setting(store, "reports.completion_rule") == "kept"


def test_a_credential_has_no_report_grants_at_first(storage):
    assert storage.report_grants("auditor") == []


def test_report_grants_are_replaced_as_a_whole_and_sorted(storage):
    storage.set_report_grants("auditor", ["b", "a"])
    storage.set_report_grants("auditor", ["c", "a", "c"])
    assert storage.report_grants("auditor") == ["a", "c"]


def test_report_grants_are_per_credential_and_can_be_emptied(storage):
    storage.set_report_grants("auditor", ["a"])
    storage.set_report_grants("other", ["b"])
    storage.set_report_grants("auditor", [])
    assert (storage.report_grants("auditor"), storage.report_grants("other")) == ([], ["b"])


def test_report_grants_survive_reopening(opener, storage):
    storage.set_report_grants("auditor", ["a"])
    assert opener().report_grants("auditor") == ["a"]
