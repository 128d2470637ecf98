"""The well-known services catalog: names found in a question, and whether a store's names hold them."""

from knowledge.service_catalog import cloud_services, held, mentioned_services


def test_every_row_has_a_provider_a_name_and_aliases() -> None:
    rows = cloud_services()
    assert len(rows) > 50 and all(r.provider and r.service and r.aliases for r in rows)
    assert len({r.service for r in rows}) == len(rows)


def test_longest_name_wins_and_spans_do_not_overlap() -> None:
    found = mentioned_services("cloud run vs cloud storage vs azure openai last month")
    assert [(w, s.service) for w, _, _, s in found] == [
        ("cloud run", "Cloud Run"), ("cloud storage", "Cloud Storage"), ("azure openai", "Azure OpenAI")]


def test_words_inside_identifiers_are_not_services() -> None:
    assert mentioned_services("spend on s3://acme-athena-results and ec2-builder") == []


def test_held_by_the_stores_longer_or_aliased_names() -> None:
    by_name = {s.service: s for s in cloud_services()}
    store = ["Amazon Simple Storage Service", "AWS Data Transfer", "Vertex AI"]
    assert held(by_name["Amazon S3"], store) and held(by_name["AWS Data Transfer"], store)
    assert held(by_name["Vertex AI"], store) and not held(by_name["Cloud Run"], store)
    assert not held(by_name["Snowflake"], store)
