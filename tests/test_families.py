"""Tests for lineage.families: the packaged registry, classification, overrides, errors."""

from __future__ import annotations

import csv
import random
from importlib.resources import files
from pathlib import Path

import pytest
from helpers import ATOM

import lineage.families as families_module
from lineage.families import (
    REGIONS,
    Family,
    Registry,
    RegistryError,
    default_registry,
    load_registry,
)

DATA = files("lineage") / "data"
needs_atom = pytest.mark.skipif(not ATOM.is_dir(), reason=f"ATOM data not found at {ATOM}")


@pytest.fixture(scope="module")
def reg() -> Registry:
    return default_registry()


def _atom_regions() -> list[tuple[str, str]]:
    with open(ATOM / "organization_regions.csv", newline="", encoding="utf-8") as handle:
        return [(row["hf_org"], row["region"]) for row in csv.DictReader(handle)]


def _atom_model_ids(name: str = "models.csv") -> list[str]:
    with open(ATOM / name, newline="", encoding="utf-8") as handle:
        return [row["modelId"] for row in csv.DictReader(handle)]


# -- the packaged registry against ATOM --------------------------------------------------------


@needs_atom
def test_every_atom_org_has_exactly_its_atom_region(reg: Registry) -> None:
    rows = _atom_regions()
    assert len(rows) == 118
    mismatches = [
        f"{org}: ATOM {region!r}, registry {reg.region_of_org(org)!r}"
        for org, region in rows
        if reg.region_of_org(org) != region
    ]
    assert not mismatches, "org regions differ from ATOM:\n" + "\n".join(mismatches)
    # ...and with ATOM's spelling, so fallback families are named as ATOM names the org.
    misspelled = [org for org, _ in rows if org not in reg.regions]
    assert not misspelled, f"orgs spelled differently from ATOM: {misspelled}"


@needs_atom
def test_atom_models_get_their_orgs_region(reg: Registry) -> None:
    """A named family never moves an ATOM model out of its org's region."""
    regions = dict(_atom_regions())
    wrong = []
    for model_id in _atom_model_ids() + _atom_model_ids("extra_models.csv"):
        family, region = reg.classify([model_id])[0]
        expected = regions[model_id.split("/")[0]]
        if region != expected:
            wrong.append(f"{model_id} -> {family}/{region}, org region {expected}")
    assert not wrong, "\n".join(wrong)


@needs_atom
def test_atom_models_coverage(reg: Registry) -> None:
    """How many ATOM first-party releases get a named family rather than the org fallback.

    At the time of writing: 1,488 of 1,772 (84%) named; the rest fall back to their org
    (nvidia's Llama/Mistral derivatives, allenai's Tülu, openbmb, arcee-ai, Skywork, ...).
    """
    named = {family.name for family in reg.families}
    ids = _atom_model_ids()
    results = reg.classify(ids)
    n_named = sum(family in named for family, _ in results)
    fallback = {family for family, _ in results if family not in named}
    print(f"ATOM models.csv: {n_named}/{len(ids)} named, {len(ids) - n_named} org fallback: {fallback}")
    assert len(ids) == 1772
    assert n_named / len(ids) > 0.8
    # every fallback is a real ATOM org name, never something made up
    assert fallback <= {org for org, _ in _atom_regions()}


def test_registry_is_self_consistent(reg: Registry) -> None:
    names = [family.name for family in reg.families]
    assert len(names) == len(set(names))
    assert set(reg.regions.values()) <= set(REGIONS)
    orgs_lc = {org.lower(): org for org in reg.regions}
    for family in reg.families:
        assert family.orgs, family
        missing = [org for org in family.orgs if org.lower() not in orgs_lc]
        assert not missing, f"{family.name}: orgs without a region: {missing}"
        assert family.region == reg.region_of_org(family.orgs[0])
        assert reg.region_of_family(family.name) == family.region
        # a family named like an org must contain that org, or fallbacks would be ambiguous
        if family.name.lower() in orgs_lc:
            assert family.name.lower() in {org.lower() for org in family.orgs}, family
    rule_families = {rule.family for rule in reg.rules}
    assert rule_families == set(names)


def test_packaged_file_can_be_copied_and_loaded_alone(tmp_path: Path, reg: Registry) -> None:
    copy = tmp_path / "registry.toml"
    with open(copy, "w", encoding="utf-8") as handle:
        handle.write((DATA / "registry.toml").read_text(encoding="utf-8"))
    alone = load_registry(copy, extend=False)
    assert alone.families == reg.families
    assert alone.rules == reg.rules
    assert dict(alone.regions) == dict(reg.regions)
    assert not alone.aliases  # aliases.csv is not part of a user file


# -- classification --------------------------------------------------------------------------

MAIN = [
    ("Qwen/Qwen2.5-7B", "Qwen", "china"),
    ("Qwen/QwQ-32B", "Qwen", "china"),
    ("meta-llama/Llama-3.1-8B", "Llama", "us"),
    ("meta-llama/Meta-Llama-3-8B-Instruct", "Llama", "us"),
    ("meta-llama/CodeLlama-7b-hf", "Llama", "us"),
    ("huggyllama/llama-7b", "Llama", "us"),
    ("google/gemma-2-9b", "Gemma", "us"),
    ("google/paligemma-3b-pt-224", "Gemma", "us"),
    ("google/t5gemma-2b-2b-ul2", "Gemma", "us"),
    ("google/flan-t5-base", "T5", "us"),
    ("google/mt5-small", "T5", "us"),
    ("google-t5/t5-small", "T5", "us"),
    ("google-bert/bert-base-uncased", "BERT", "us"),
    ("google/bert_uncased_L-2_H-128_A-2", "BERT", "us"),
    ("google/electra-base-discriminator", "ELECTRA", "us"),
    ("google/vit-base-patch16-224-in21k", "ViT", "us"),
    ("google/siglip-so400m-patch14-384", "SigLIP", "us"),
    ("mistralai/Mixtral-8x7B-v0.1", "Mistral", "eu"),
    ("mistralai/Ministral-8B-Instruct-2410", "Mistral", "eu"),
    ("mistralai/Codestral-22B-v0.1", "Mistral", "eu"),
    ("mistral-community/pixtral-12b", "Mistral", "eu"),
    ("microsoft/phi-2", "Phi", "us"),
    ("microsoft/Phi-3.5-mini-instruct", "Phi", "us"),
    ("microsoft/deberta-v3-base", "DeBERTa", "us"),
    ("microsoft/Florence-2-large", "Florence", "us"),
    ("deepseek-ai/DeepSeek-V3", "DeepSeek", "china"),
    ("deepseek-ai/Janus-Pro-7B", "DeepSeek", "china"),
    ("openai/whisper-large-v3", "Whisper", "us"),
    ("distil-whisper/distil-large-v3", "Whisper", "us"),
    ("openai/gpt-oss-20b", "gpt-oss", "us"),
    ("openai/clip-vit-large-patch14", "CLIP", "us"),
    ("openai-community/gpt2", "GPT-2", "us"),
    ("openai-community/gpt2-xl", "GPT-2", "us"),
    ("distilbert/distilgpt2", "GPT-2", "us"),
    ("distilbert/distilbert-base-uncased", "DistilBERT", "us"),
    ("distilbert/distilroberta-base", "RoBERTa", "us"),
    ("FacebookAI/roberta-base", "RoBERTa", "us"),
    ("FacebookAI/xlm-roberta-base", "RoBERTa", "us"),
    ("albert/albert-base-v2", "ALBERT", "us"),
    ("stabilityai/stable-diffusion-3-medium", "Stable Diffusion", "eu"),
    ("stabilityai/stable-diffusion-xl-base-1.0", "Stable Diffusion", "eu"),
    ("stabilityai/sdxl-turbo", "Stable Diffusion", "eu"),
    ("stabilityai/sd-turbo", "Stable Diffusion", "eu"),
    ("stabilityai/sd-vae-ft-mse", "Stable Diffusion", "eu"),
    ("stabilityai/stable-video-diffusion-img2vid-xt", "Stable Diffusion", "eu"),
    ("CompVis/stable-diffusion-v1-4", "Stable Diffusion", "eu"),
    ("runwayml/stable-diffusion-v1-5", "Stable Diffusion", "eu"),
    ("stable-diffusion-v1-5/stable-diffusion-v1-5", "Stable Diffusion", "eu"),
    ("stabilityai/stablelm-2-1_6b", "StableLM", "eu"),
    ("black-forest-labs/FLUX.1-dev", "FLUX", "eu"),
    ("black-forest-labs/FLUX.1-schnell", "FLUX", "eu"),
    ("tiiuae/falcon-7b", "Falcon", "other"),
    ("tiiuae/Falcon3-7B-Base", "Falcon", "other"),
    ("THUDM/glm-4-9b", "GLM", "china"),
    ("THUDM/chatglm3-6b", "GLM", "china"),
    ("zai-org/GLM-4.5", "GLM", "china"),
    ("THUDM/CogVideoX-5b", "CogVideoX", "china"),
    ("moonshotai/Kimi-K2-Instruct", "Kimi", "china"),
    ("MiniMaxAI/MiniMax-M1-80k", "MiniMax", "china"),
    ("baidu/ERNIE-4.5-0.3B-PT", "ERNIE", "china"),
    ("tencent/Hunyuan-A13B-Instruct", "Hunyuan", "china"),
    ("tencent/HunyuanVideo", "Hunyuan", "china"),
    ("tencent/HY-MT1.5-7B", "Hunyuan", "china"),
    ("internlm/internlm2_5-7b-chat", "InternLM", "china"),
    ("OpenGVLab/InternVL3-8B", "InternVL", "china"),
    ("01-ai/Yi-34B", "Yi", "china"),
    ("baichuan-inc/Baichuan2-7B-Base", "Baichuan", "china"),
    ("openbmb/MiniCPM-V-2_6", "MiniCPM", "china"),
    ("XiaomiMiMo/MiMo-7B-RL", "MiMo", "china"),
    ("Wan-AI/Wan2.1-T2V-14B", "Wan", "china"),
    ("inclusionAI/Ling-lite", "Ling", "china"),
    ("GSAI-ML/LLaDA-8B-Instruct", "LLaDA", "china"),
    ("allenai/OLMo-2-1124-7B", "OLMo", "us"),
    ("allenai/OLMoE-1B-7B-0924", "OLMo", "us"),
    ("allenai/Molmo-7B-D-0924", "Molmo", "us"),
    ("ibm-granite/granite-3.3-8b-instruct", "Granite", "us"),
    ("nvidia/Llama-3.1-Nemotron-70B-Instruct-HF", "Nemotron", "us"),
    ("nvidia/mit-b0", "SegFormer", "us"),
    ("HuggingFaceTB/SmolLM2-1.7B", "SmolLM", "us"),
    ("HuggingFaceTB/SmolVLM-Instruct", "SmolLM", "us"),
    ("facebook/opt-125m", "OPT", "us"),
    ("facebook/bart-large-cnn", "BART", "us"),
    ("facebook/wav2vec2-base-960h", "wav2vec2", "us"),
    ("facebook/dinov2-base", "DINO", "us"),
    ("facebook/sam-vit-base", "SAM", "us"),
    ("facebook/nllb-200-distilled-600M", "NLLB", "us"),
    ("EleutherAI/pythia-160m", "Pythia", "unknown"),
    ("EleutherAI/gpt-neox-20b", "GPT-Neo", "unknown"),
    ("EleutherAI/gpt-j-6b", "GPT-J", "unknown"),
    ("bigscience/bloom-560m", "BLOOM", "unknown"),
    ("bigcode/starcoder2-15b", "StarCoder", "unknown"),
    ("CohereLabs/c4ai-command-r-v01", "Command", "other"),
    ("CohereForAI/aya-expanse-8b", "Aya", "other"),
    ("LGAI-EXAONE/EXAONE-3.5-7.8B-Instruct", "EXAONE", "other"),
    ("vikhyatk/moondream2", "Moondream", "us"),
    ("llava-hf/llava-1.5-7b-hf", "LLaVA", "us"),
    ("TinyLlama/TinyLlama-1.1B-Chat-v1.0", "TinyLlama", "other"),
]


@pytest.mark.parametrize(("root_id", "family", "region"), MAIN)
def test_main_families(reg: Registry, root_id: str, family: str, region: str) -> None:
    assert reg.family_of(root_id) == family
    assert reg.classify([root_id]) == [(family, region)]
    assert reg.region_of_family(family) == region


@pytest.mark.parametrize(
    ("root_id", "family", "region"),
    [
        ("qwen/qwen2.5-7b", "Qwen", "china"),
        ("QWEN/QWEN2.5-7B", "Qwen", "china"),
        ("GOOGLE/GEMMA-2-9B", "Gemma", "us"),
        ("Meta-Llama/llama-3.1-8b", "Llama", "us"),
        (" Qwen/Qwen2.5-7B ", "Qwen", "china"),  # stray whitespace
    ],
)
def test_org_and_pattern_matching_is_case_insensitive(
    reg: Registry, root_id: str, family: str, region: str
) -> None:
    assert reg.classify([root_id]) == [(family, region)]


@pytest.mark.parametrize(
    ("root_id", "family", "region"),
    [
        ("someuser/model", "someuser", "unknown"),
        ("SomeUser/old-model", "SomeUser", "unknown"),  # unknown orgs keep their spelling
        ("deepseek-ai/anything", "DeepSeek", "china"),  # an org default catches any name
        ("facebook/chameleon-7b", "facebook", "us"),  # Llama is meta-llama only
        ("facebook/layerskip-llama2-7B", "facebook", "us"),
        ("google/pegasus-xsum", "google", "us"),
        ("microsoft/graphcodebert-base", "microsoft", "us"),  # "phi" inside a word is not Phi
        ("nvidia/OpenMath-CodeLlama-7b-Python", "nvidia", "us"),
        ("NVIDIA/some-model", "nvidia", "us"),  # a known org takes the registry's spelling
        ("openai/imagegpt-small", "openai", "us"),
        ("stabilityai/stable-cascade", "stabilityai", "eu"),
        ("sentence-transformers/all-MiniLM-L6-v2", "sentence-transformers", "eu"),
        ("a/b/c", "a", "unknown"),  # dirty ids never raise
        ("", "", "unknown"),
    ],
)
def test_fallback_to_org(reg: Registry, root_id: str, family: str, region: str) -> None:
    assert reg.family_of(root_id) == family
    assert reg.classify([root_id]) == [(family, region)]
    assert reg.region_of_family(family) == region


def test_org_and_region_lookups(reg: Registry) -> None:
    assert reg.org_of("Qwen/Qwen2.5-7B") == "Qwen"
    assert reg.org_of("gpt2") == "gpt2"
    assert reg.org_of("a/b/c") == "a"
    assert reg.region_of_org("qwen") == reg.region_of_org("QWEN") == "china"
    assert reg.region_of_org("nobody-knows-me") == "unknown"
    assert reg.region_of_family("Stable Diffusion") == "eu"  # first org: stabilityai
    assert reg.region_of_family("someuser") == "unknown"
    assert reg.region_of_family("tencent") == "china"  # a fallback family: its org's region
    assert default_registry() is default_registry()
    assert hash(reg) == hash(load_registry())
    assert reg == load_registry()


@pytest.mark.parametrize(
    ("legacy", "new_id", "family", "region"),
    [
        ("gpt2", "openai-community/gpt2", "GPT-2", "us"),
        ("GPT2-Medium", "openai-community/gpt2-medium", "GPT-2", "us"),
        ("bert-base-uncased", "google-bert/bert-base-uncased", "BERT", "us"),
        ("t5-small", "google-t5/t5-small", "T5", "us"),
        ("roberta-base", "FacebookAI/roberta-base", "RoBERTa", "us"),
        ("xlm-roberta-base", "FacebookAI/xlm-roberta-base", "RoBERTa", "us"),
        ("distilbert-base-uncased", "distilbert/distilbert-base-uncased", "DistilBERT", "us"),
        ("distilgpt2", "distilbert/distilgpt2", "GPT-2", "us"),
        ("distilroberta-base", "distilbert/distilroberta-base", "RoBERTa", "us"),
        ("albert-base-v2", "albert/albert-base-v2", "ALBERT", "us"),
        ("xlnet-base-cased", "xlnet/xlnet-base-cased", "xlnet", "us"),
        ("camembert-base", "almanach/camembert-base", "almanach", "eu"),
        ("ctrl", "Salesforce/ctrl", "Salesforce", "us"),
    ],
)
def test_legacy_ids_resolve_through_aliases(
    reg: Registry, legacy: str, new_id: str, family: str, region: str
) -> None:
    assert reg.resolve_alias(legacy) == new_id
    assert reg.family_of(legacy) == family
    assert reg.classify([legacy]) == [(family, region)]
    assert reg.family_of(legacy) == reg.family_of(new_id)


def test_unknown_legacy_id_is_its_own_org(reg: Registry) -> None:
    assert reg.resolve_alias("my-legacy-model") is None
    assert reg.resolve_alias("openai-community/gpt2") is None
    assert reg.classify(["my-legacy-model"]) == [("my-legacy-model", "unknown")]


def test_aliases_csv_is_well_formed(reg: Registry) -> None:
    text = (DATA / "aliases.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == ["old_id", "new_id"]
    body = rows[1:]
    olds = [old for old, _ in body]
    assert olds == sorted(olds), "aliases.csv must be sorted by old_id"
    assert len({old.lower() for old in olds}) == len(olds), "duplicate old_id"
    for old, new in body:
        assert "/" not in old and new.count("/") == 1, (old, new)
        assert new.split("/", 1)[1] == old, "the Hub kept the repo name when it moved it"
        assert reg.region_of_org(new.split("/")[0]) != "unknown", new
    assert len(reg.aliases) == len(body)


def test_classify_matches_family_of_on_200k_ids(reg: Registry) -> None:
    rng = random.Random(7)
    atom = _atom_model_ids() if ATOM.is_dir() else []
    pool = [root for root, _, _ in MAIN] + atom + ["gpt2", "bert-base-uncased", "someuser/x"]
    ids = [
        rng.choice(pool) if rng.random() < 0.5 else f"user{rng.randrange(50_000)}/model-{i}"
        for i in range(200_000)
    ]
    fresh = load_registry()  # nothing cached yet
    first = fresh.classify(ids)
    assert len(first) == len(ids)
    assert fresh.classify(ids) == first  # the cached pass agrees with the uncached one
    assert reg.classify(ids) == first  # and another registry instance agrees
    for i in rng.sample(range(len(ids)), 3000):
        family, region = first[i]
        assert fresh.family_of(ids[i]) == family
        if family not in {f.name for f in fresh.families}:
            assert region == fresh.region_of_org(family)
    assert fresh.classify(iter(ids[:10])) == first[:10]  # any iterable


# -- user registries ---------------------------------------------------------------------------


def _write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_family_extends_the_packaged_registry(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[[family]]
name = "MyFamily"
orgs = ["someuser"]

[[family]]
name = "Gemma 2"
rules = [{ org = "google", pattern = "gemma-2-" }]

[[family]]
name = "Llama"
orgs = ["my-llama-mirror"]

[regions]
someuser = "eu"
Qwen = "other"
""",
    )
    mine = load_registry(path)
    assert mine.classify(["someuser/model"]) == [("MyFamily", "eu")]
    assert mine.family_of("google/gemma-2-9b") == "Gemma 2"  # user rules are tried first
    assert mine.family_of("google/gemma-3-4b-it") == "Gemma"  # packaged rules still apply
    assert mine.family_of("Qwen/Qwen2.5-7B") == "Qwen"
    assert mine.classify(["Qwen/Qwen2.5-7B"]) == [("Qwen", "other")]  # user regions override
    assert mine.region_of_org("qwen") == "other"
    llama = next(f for f in mine.families if f.name == "Llama")
    assert llama.orgs == ("meta-llama", "huggyllama", "my-llama-mirror")
    assert mine.classify(["my-llama-mirror/llama-3-8b"]) == [("Llama", "us")]
    assert mine.resolve_alias("gpt2") == "openai-community/gpt2"  # packaged aliases kept
    assert [f.name for f in mine.families][:2] == ["MyFamily", "Gemma 2"]
    # the packaged default registry is untouched
    assert default_registry().family_of("someuser/model") == "someuser"


def test_user_default_replaces_packaged_default_and_dot_takes_over_an_org(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[[family]]
name = "DeepSeek family"
orgs = ["deepseek-ai"]

[[family]]
name = "Alphabet"
rules = [{ org = "google", pattern = "." }]
""",
    )
    mine = load_registry(path)
    assert mine.family_of("deepseek-ai/DeepSeek-V3") == "DeepSeek family"
    assert mine.family_of("google/gemma-2-9b") == "Alphabet"
    assert mine.classify(["google/flan-t5-base"]) == [("Alphabet", "us")]


def test_extend_false_uses_the_user_file_alone(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[[family]]
name = "MyFamily"
rules = [{ org = "someuser", pattern = "^my-" }]

[regions]
someuser = "us"

[aliases]
"old-name" = "someuser/my-model"
""",
    )
    alone = load_registry(path, extend=False)
    assert alone.families == (Family("MyFamily", ("someuser",), "us"),)
    assert alone.classify(["someuser/my-model", "someuser/other"]) == [
        ("MyFamily", "us"),
        ("someuser", "us"),
    ]
    assert alone.classify(["Qwen/Qwen2.5-7B"]) == [("Qwen", "unknown")]
    assert alone.resolve_alias("gpt2") is None
    assert alone.family_of("OLD-NAME") == "MyFamily"
    assert load_registry(path).family_of("old-name") == "MyFamily"  # user aliases extend too


BAD = [
    ("[regions]\nsomeuser = 'asia'\n", ["[regions]", "someuser", "'asia'", "unknown region", "china"]),
    ("[regions]\nsomeuser = 3\n", ["[regions]", "someuser", "unknown region"]),
    ("[[family]]\norgs = ['x']\n", ["[[family]] #1", "missing or empty `name`"]),
    ("[[family]]\nname = ''\norgs = ['x']\n", ["[[family]] #1", "`name`"]),
    (
        "[[family]]\nname = 'A'\norgs = ['a']\n"
        "[[family]]\nname = 'B'\nrules = [{org = 'b', pattern = 'x('}]\n",
        ["[[family]] #2", "'B'", "rule #1", "bad regex", "'x('"],
    ),
    ("[[family]]\nname = 'A'\nrules = [{pattern = 'x'}]\n", ["'A'", "rule #1", "missing `org`"]),
    ("[[family]]\nname = 'A'\nrules = [{org = 'a', pattern = ''}]\n", ["'A'", "`pattern`"]),
    ("[[family]]\nname = 'A'\nrules = [{org = 'a', patern = 'x'}]\n", ["'A'", "unknown key", "patern"]),
    ("[[family]]\nname = 'A'\nrules = 'a'\n", ["'A'", "`rules` must be a list"]),
    ("[[family]]\nname = 'A'\norgs = 'a'\n", ["'A'", "`orgs` must be a list"]),
    ("[[family]]\nname = 'A'\norgs = ['a/b']\n", ["'A'", "org must be a Hub namespace", "'a/b'"]),
    ("[[family]]\nname = 'A'\n", ["'A'", "no `orgs` and no `rules`"]),
    ("[[family]]\nname = 'A'\norgs = ['a']\ncolor = '#ff0000'\n", ["'A'", "unknown key", "color"]),
    ("[[family]]\nname = 'A'\norgs = ['a']\ncolour = 'red'\n", ["'A'", "`colour` must be", "'red'"]),
    ("[[family]]\nname = 'A'\norgs = ['a']\n[[family]]\nname = 'a'\norgs = ['b']\n", ["duplicate family"]),
    (
        "[[family]]\nname = 'A'\norgs = ['x']\n[[family]]\nname = 'B'\norgs = ['X']\n",
        ["[[family]] #2", "'B'", "already defaults to family 'A'"],
    ),
    ("[[families]]\nname = 'A'\n", ["unknown top-level key", "families"]),
    ("family = 'A'\n", ["`family` must be an array of tables"]),
    ("[regions]\nQwen = 'us'\nqwen = 'eu'\n", ["[regions]", "'qwen'", "case-insensitive"]),
    ("[aliases]\ngpt2 = ''\n", ["[aliases]", "gpt2"]),
    ("[[family]\nname = 'A'\n", ["not valid TOML"]),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_malformed_files_raise_helpful_errors(tmp_path: Path, text: str, expected: list[str]) -> None:
    path = _write(tmp_path, text, "broken.toml")
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    message = str(info.value)
    assert str(path) in message
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert isinstance(info.value, ValueError)


def test_missing_file_raises_registry_error(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="cannot read"):
        load_registry(tmp_path / "nope.toml")


def test_malformed_aliases_csv_is_reported() -> None:
    with pytest.raises(RegistryError, match=r"x\.csv: line 1: expected the header"):
        families_module._parse_aliases_csv("old,new\na,b/a\n", "x.csv")
    with pytest.raises(RegistryError, match=r"x\.csv: line 3: expected old_id,new_id"):
        families_module._parse_aliases_csv("old_id,new_id\na,b/a\nc\n", "x.csv")


def test_packaged_data_is_shipped_next_to_the_module() -> None:
    module_dir = Path(families_module.__file__).parent / "data"
    assert (module_dir / "registry.toml").is_file()
    assert (module_dir / "aliases.csv").is_file()
