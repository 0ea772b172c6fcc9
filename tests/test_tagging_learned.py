"""The learned layer: pure-Python inference equals scikit-learn, the combination rule holds, the
model file is validated and part of the taxonomy's fingerprint, and `jkwatch model train` works.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from jkwatch.cli.main import cli
from jkwatch.ingest.tagging import Tagger, TaxonomyError, load_taxonomy
from jkwatch.ingest.tagging.evaluation import evaluate, parse_labelled
from jkwatch.ingest.tagging.learned import (
    LearnedModel,
    ThemeWeights,
    document_features,
    features,
    parse_model,
)
from jkwatch.ingest.tagging.training import item_text, train_model

DATA = Path(__file__).resolve().parent / "data"
SHIPPED = Path(__file__).resolve().parents[1] / "config" / "themes.toml"


def labelled(name: str) -> list:
    return parse_labelled((DATA / name).read_text(encoding="utf-8").splitlines())


@pytest.fixture(scope="module")
def trained() -> LearnedModel:
    theme_ids = load_taxonomy(SHIPPED).theme_ids
    return train_model(labelled("eval_dev.jsonl"), theme_ids)


def test_features_are_ngrams_inside_padded_words() -> None:
    grams = features(" 北 missile ")
    assert " 北" in grams and "北 " in grams and " 北 " in grams
    assert " mi" in grams and "ile " in grams
    assert not any(" " in gram.strip() for gram in grams)  # never across two words


@pytest.mark.slow
def test_inference_reproduces_scikit_learn(trained: LearnedModel) -> None:
    sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")
    linear = pytest.importorskip("sklearn.linear_model")
    items = labelled("eval_dev.jsonl")
    vectorizer = sklearn_text.TfidfVectorizer(
        analyzer=document_features, min_df=2, sublinear_tf=True, lowercase=False
    )
    matrix = vectorizer.fit_transform([item_text(item) for item in items])
    labels = [item.relevant and "nk_weapons" in item.themes for item in items]
    fitted = linear.LogisticRegression(C=3.0, class_weight="balanced", max_iter=5000)
    fitted.fit(matrix, labels)
    unseen = labelled("eval_holdout.jsonl")[:40]
    expected = fitted.predict_proba(vectorizer.transform([item_text(i) for i in unseen]))[:, 1]
    compiled = trained.compile(["nk_weapons", "ukraine_war"])
    for item, want in zip(unseen, expected, strict=True):
        got = compiled.read(item_text(item)).probabilities[0]
        assert got == pytest.approx(want, abs=1e-6), item.id


def test_stored_form_round_trips(trained: LearnedModel) -> None:
    stored = json.loads(json.dumps(trained.to_json()))
    theme_ids = sorted(trained.themes)
    before = trained.compile(theme_ids)
    after = parse_model(stored, "model.json", trained.themes).compile(theme_ids)
    for item in labelled("eval_holdout.jsonl")[:25]:
        got = after.read(item_text(item)).probabilities
        want = before.read(item_text(item)).probabilities
        assert got == pytest.approx(want, abs=1e-5)


def test_a_theme_without_a_model_scores_zero(trained: LearnedModel) -> None:
    compiled = trained.compile(["nk_weapons", "not_trained"])
    reading = compiled.read(item_text(labelled("eval_holdout.jsonl")[0]))
    assert reading.probabilities[1] == 0.0
    assert compiled.read("").probabilities[0] > 0  # no known n-gram: the intercept alone


def test_a_theme_the_taxonomy_dropped_is_ignored(trained: LearnedModel) -> None:
    again = parse_model(trained.to_json(), "model.json", ["nk_weapons"])
    assert set(again.themes) == {"nk_weapons"}


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda doc: {"format": "other"}, "not a theme model"),
        (lambda doc: {**doc, "idf": doc["idf"][:-1]}, "same length"),
        (lambda doc: {**doc, "threshold": 1.5}, "between 0 and 1"),
        (
            lambda doc: {**doc, "themes": {"nk_weapons": {"weights": [1.0]}}},
            "align with the vocabulary",
        ),
    ],
)
def test_a_broken_model_is_one_clear_error(trained: LearnedModel, mangle, message: str) -> None:
    with pytest.raises(TaxonomyError, match=message):
        parse_model(mangle(trained.to_json()), "model.json", trained.themes)


def _taxonomy_dir(tmp_path: Path, model: LearnedModel, threshold: str = "") -> Path:
    (tmp_path / "m.json.gz").write_bytes(gzip.compress(json.dumps(model.to_json()).encode()))
    text = SHIPPED.read_text(encoding="utf-8")
    text = text.split("\n[learned]")[0]  # the shipped one may already name its own model
    text += f'\n[learned]\nmodel = "m.json.gz"\n{threshold}\n'
    (tmp_path / "themes.toml").write_text(text, encoding="utf-8")
    return tmp_path / "themes.toml"


@pytest.mark.slow
def test_the_model_is_read_beside_the_taxonomy_and_fingerprinted(
    tmp_path: Path, trained: LearnedModel
) -> None:
    path = _taxonomy_dir(tmp_path, trained, "threshold = 0.55")
    first = load_taxonomy(path)
    assert first.learned is not None and first.learned.threshold == 0.55
    retrained = dataclasses.replace(
        trained, themes={**trained.themes, "nk_weapons": ThemeWeights(0.5, {})}
    )
    (tmp_path / "m.json.gz").write_bytes(gzip.compress(json.dumps(retrained.to_json()).encode()))
    assert load_taxonomy(path).fingerprint != first.fingerprint  # retag notices a new model
    (tmp_path / "m.json.gz").unlink()
    with pytest.raises(TaxonomyError, match="cannot read theme model"):
        load_taxonomy(path)


def test_learned_themes_need_keyword_evidence_and_a_relevant_item(trained: LearnedModel) -> None:
    base = load_taxonomy(SHIPPED)
    eager = dataclasses.replace(base, learned=dataclasses.replace(trained, threshold=0.01))
    tagger = Tagger(eager)
    plain = Tagger(dataclasses.replace(base, learned=None))
    title = (
        "Japan, US and South Korea launch trilateral radar network to track North Korean missiles"
    )
    before = plain.tag(title, lang="en")
    after = tagger.tag(title, lang="en")
    assert after.relevant == before.relevant and after.relevance == before.relevance
    added = [t for t in after.themes if t.theme_id not in before.theme_ids]
    assert added, "a near-zero threshold must add the themes with keyword evidence"
    explained = tagger.explain(title, lang="en").raw
    for theme in added:
        assert explained.get(theme.theme_id, 0) > 0  # never a theme without a matched term
        assert theme.evidence[-1].field == "model"
        assert theme.evidence[-1].term.startswith("learned ")
        assert any(e.field == "title" for e in theme.evidence)  # the words are named too
    # an irrelevant item gets nothing from the model, whatever the threshold
    assert tagger.tag("Samsung shares rise on chip demand", lang="en") == plain.tag(
        "Samsung shares rise on chip demand", lang="en"
    )


def test_fast_path_and_explain_agree_with_the_model(trained: LearnedModel) -> None:
    tagger = Tagger(dataclasses.replace(load_taxonomy(SHIPPED), learned=trained))
    for item in labelled("eval_holdout.jsonl"):
        fast = tagger.tag(item.title, item.summary, lang=item.lang)
        assert tagger.explain(item.title, item.summary, lang=item.lang).result == fast, item.id


@pytest.mark.slow
def test_model_train_command_writes_a_loadable_model(tmp_path: Path) -> None:
    out = tmp_path / "model.json.gz"
    result = CliRunner().invoke(
        cli, ["model", "train", str(DATA / "eval_dev.jsonl"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "14 themes" in result.output and out.exists()
    first = out.read_bytes()
    CliRunner().invoke(cli, ["model", "train", str(DATA / "eval_dev.jsonl"), "--out", str(out)])
    assert out.read_bytes() == first  # deterministic: same sets, same bytes
    doc = json.loads(gzip.decompress(first))
    assert doc["trained_on"] == ["eval_dev.jsonl"]


def test_model_train_rejects_a_bad_set_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "x"}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["model", "train", str(bad), "--out", str(tmp_path / "m")])
    assert result.exit_code != 0
    assert "missing field 'relevant'" in result.output
    assert not (tmp_path / "m").exists()


def test_the_shipped_model_helps_on_the_held_out_set() -> None:
    """The learned layer is kept only because it improves text it was not trained on."""
    shipped = load_taxonomy(SHIPPED)
    if shipped.learned is None:
        pytest.skip("no learned layer configured in the shipped taxonomy")
    assert "eval_holdout.jsonl" not in shipped.learned.trained_on
    assert "eval_blind.jsonl" not in shipped.learned.trained_on
    items = labelled("eval_holdout.jsonl")
    with_model = evaluate(Tagger(shipped), items)
    without = evaluate(Tagger(dataclasses.replace(shipped, learned=None)), items)
    assert with_model.micro.f1 >= without.micro.f1
    assert with_model.relevance == without.relevance  # it never decides relevance


def test_a_copied_taxonomy_without_the_model_uses_the_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "themes.toml").write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    copied = load_taxonomy(tmp_path / "themes.toml")
    assert copied.learned is not None
    assert copied.fingerprint == load_taxonomy(SHIPPED).fingerprint
