"""The simulated hub's families: their first-party models, licences, modalities and share curves.

Each :class:`SimFamily` lists its organisation's own models (:class:`SimModel`): base models are
roots of the family; instruct/chat/``-it`` models descend from their base (relation
``finetune``), as their cards declare on the real Hub. Each model carries its real licence
(``apache-2.0``, ``llama3.1``, ``gemma``, or ``other`` with a ``license_name`` such as
``tongyi-qianwen``) and a modality (pipeline tag and library): merges only combine parents of
one modality. ``weight`` is how strongly a model attracts its family's new derivatives (0: only
through the calibrated per-base curves of :mod:`lineage.sim.shape`).

Family names and regions are the simulation's ground truth; the shipped family registry must
classify these roots the same way (tests check it).

>>> fam = FAMILY_BY_NAME["Qwen"]
>>> ("Qwen/Qwen2.5-7B", "2024-09-15") in fam.roots
True
>>> m = MODEL_BY_ID["Qwen/Qwen2.5-7B-Instruct"]
>>> m.parent, m.license, MODALITIES[m.modality][0]
('Qwen/Qwen2.5-7B', 'apache-2.0', 'text-generation')
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ALIASES",
    "ANCHORS",
    "FAMILIES",
    "FAMILY_BY_NAME",
    "INDIE_WEIGHT",
    "MODALITIES",
    "MODEL_BY_ID",
    "SimFamily",
    "SimModel",
]

#: ``(pipeline_tag, library_name, relation affinity (finetune, adapter, quantized, merge))``;
#: the affinity says which relations a modality's derivatives favour (LoRAs on image models,
#: fine-tunes of encoders, quantizations of LLMs).
MODALITIES: tuple[tuple[str | None, str | None, tuple[float, float, float, float]], ...] = (
    ("text-generation", "transformers", (1.0, 1.0, 1.0, 1.0)),  # 0
    ("text-to-image", "diffusers", (0.35, 4.0, 0.1, 0.03)),  # 1
    ("fill-mask", "transformers", (4.0, 0.3, 0.05, 0.02)),  # 2
    ("automatic-speech-recognition", "transformers", (3.0, 0.5, 0.2, 0.02)),  # 3
    ("text-to-video", "diffusers", (0.5, 4.0, 0.3, 0.01)),  # 4
    ("robotics", "lerobot", (5.0, 0.05, 0.01, 0.01)),  # 5
    ("text-classification", "transformers", (4.0, 0.3, 0.05, 0.02)),  # 6
    ("image-classification", "transformers", (4.0, 0.3, 0.05, 0.02)),  # 7
    ("feature-extraction", "sentence-transformers", (4.0, 0.3, 0.05, 0.02)),  # 8
    ("token-classification", "transformers", (4.0, 0.3, 0.05, 0.02)),  # 9
    ("any-to-any", "transformers", (2.0, 1.0, 0.5, 0.05)),  # 10
    ("image-to-image", "diffusers", (0.35, 4.0, 0.1, 0.03)),  # 11
    (None, None, (1.0, 1.0, 0.5, 0.3)),  # 12: no pipeline declared
)
_MODALITY = {pipe: k for k, (pipe, _, _) in enumerate(MODALITIES) if pipe}
#: Modalities of independent (non-family) roots, drawn uniformly.
INDIE_MODALITIES: tuple[int, ...] = (0, 6, 7, 1, 12, 12, 8, 9)
#: Years at which the family mix of new derivatives is specified; linear in between.
ANCHORS = (2022.2, 2023.0, 2023.5, 2024.0, 2024.5, 2025.0, 2025.5, 2025.8, 2026.2, 2026.9)
#: Weight of derivatives of small independent roots in the mix, at each anchor.
INDIE_WEIGHT = (12, 10, 8, 7, 6, 5, 4, 3.5, 2.5, 2.5)


@dataclass(frozen=True)
class SimModel:
    """A first-party model: id, release date (``legacy`` for the pre-2022 block), parent (None
    for a base model), attraction weight, licence (+ ``license_name`` for ``other``), modality."""

    id: str
    date: str
    parent: str | None
    weight: float
    license: str
    license_name: str | None
    modality: int


@dataclass(frozen=True)
class SimFamily:
    """A model family of the simulation: its first-party models and its share curve."""

    name: str
    region: str
    models: tuple[SimModel, ...]
    weights: tuple[float, ...]  # relative weight among new derivatives at each ANCHORS year
    p_official: float  # share of its derivatives built directly on a first-party model
    modality: int  # the family's main modality (the relation mix of its derivatives)
    gated: str = "false"

    @property
    def roots(self) -> tuple[tuple[str, str], ...]:
        """``(id, date)`` of the family's base models (its roots)."""
        return tuple((m.id, m.date) for m in self.models if m.parent is None)


#: The families, one block each: ``== NAME REGION weights=W,... [lic=L] [pipe=P] [p_off=X]
#: [gated=G]`` (``_`` in NAME is a space), then one model per line: ``id@date [<parent]
#: [w=W] [lic=L[:NAME]] [pipe=P]``; ``<^`` names the model on the line before as the parent;
#: ``w`` defaults to 1, ``lic`` and ``pipe`` to the family's; ``$FLUX_NC`` abbreviates a licence.
_TABLE = """
== Qwen china weights=0,0,1,3,10,24,38,50,58,58
   Qwen/Qwen-7B@2023-08-03 w=2 lic=other:tongyi-qianwen
   Qwen/Qwen-7B-Chat@2023-08-03 <^ w=4 lic=other:tongyi-qianwen
   Qwen/Qwen1.5-0.5B@2024-02-04 w=0 lic=other:tongyi-qianwen-research
   Qwen/Qwen1.5-1.8B@2024-02-04 w=0 lic=other:tongyi-qianwen-research
   Qwen/Qwen1.5-7B@2024-02-04 w=0 lic=other:tongyi-qianwen
   Qwen/Qwen1.5-7B-Chat@2024-02-04 <^ w=4 lic=other:tongyi-qianwen
   Qwen/Qwen2-0.5B@2024-06-06 w=1
   Qwen/Qwen2-0.5B-Instruct@2024-06-06 <^ w=2
   Qwen/Qwen2-7B@2024-06-04 w=2
   Qwen/Qwen2-7B-Instruct@2024-06-04 <^ w=4
   Qwen/Qwen2.5-0.5B@2024-09-15 w=2
   Qwen/Qwen2.5-0.5B-Instruct@2024-09-16 <^ w=0
   Qwen/Qwen2.5-1.5B@2024-09-15 w=2
   Qwen/Qwen2.5-1.5B-Instruct@2024-09-16 <^ w=0
   Qwen/Qwen2.5-3B@2024-09-15 w=1 lic=other:qwen-research
   Qwen/Qwen2.5-3B-Instruct@2024-09-16 <^ w=3 lic=other:qwen-research
   Qwen/Qwen2.5-7B@2024-09-15 w=3
   Qwen/Qwen2.5-7B-Instruct@2024-09-16 <^ w=0
   Qwen/Qwen2.5-14B@2024-09-15 w=1
   Qwen/Qwen2.5-14B-Instruct@2024-09-16 <^ w=3
   Qwen/Qwen2.5-72B@2024-09-15 w=0.5 lic=other:qwen
   Qwen/Qwen2.5-72B-Instruct@2024-09-16 <^ w=1.5 lic=other:qwen
   Qwen/Qwen2.5-Coder-7B@2024-09-18 w=1.5
   Qwen/Qwen2.5-Coder-7B-Instruct@2024-09-18 <^ w=3
   Qwen/Qwen3-0.6B-Base@2025-04-28 w=1
   Qwen/Qwen3-0.6B@2025-04-28 <^ w=6
   Qwen/Qwen3-1.7B-Base@2025-04-28 w=1
   Qwen/Qwen3-1.7B@2025-04-28 <^ w=5
   Qwen/Qwen3-4B-Base@2025-04-28 w=1
   Qwen/Qwen3-4B@2025-04-28 <^ w=6
   Qwen/Qwen3-8B-Base@2025-04-28 w=1
   Qwen/Qwen3-8B@2025-04-28 <^ w=7
   Qwen/Qwen3-14B-Base@2025-04-28 w=0.5
   Qwen/Qwen3-14B@2025-04-28 <^ w=4
   Qwen/Qwen3-30B-A3B-Base@2025-04-28 w=0.5
   Qwen/Qwen3-30B-A3B@2025-04-28 <^ w=3
   Qwen/Qwen3-30B-A3B-Instruct-2507@2025-07-29 <^ w=2
   Qwen/Qwen3-4B-Instruct-2507@2025-08-06 <Qwen/Qwen3-4B w=0
   Qwen/Qwen-Image@2025-08-04 w=8 pipe=text-to-image
   Qwen/Qwen-Image-Edit@2025-08-18 w=4 pipe=image-to-image
== Llama us weights=0,2,50,52,46,30,20,13,7,6 gated=manual
   huggyllama/llama-7b@2023-04-03 w=4 lic=other:llama-license
   meta-llama/Llama-2-7b-hf@2023-07-18 w=6 lic=llama2
   meta-llama/Llama-2-7b-chat-hf@2023-07-18 <^ w=6 lic=llama2
   meta-llama/Llama-2-13b-hf@2023-07-18 w=2 lic=llama2
   meta-llama/Llama-2-13b-chat-hf@2023-07-18 <^ w=3 lic=llama2
   meta-llama/Meta-Llama-3-8B@2024-04-17 w=5 lic=llama3
   meta-llama/Meta-Llama-3-8B-Instruct@2024-04-17 <^ w=5 lic=llama3
   meta-llama/Llama-3.1-8B@2024-07-23 w=4 lic=llama3.1
   meta-llama/Llama-3.1-8B-Instruct@2024-07-23 <^ w=0 lic=llama3.1
   meta-llama/Llama-3.1-70B@2024-07-23 w=1 lic=llama3.1
   meta-llama/Llama-3.1-70B-Instruct@2024-07-23 <^ w=2 lic=llama3.1
   meta-llama/Llama-3.2-1B@2024-09-25 w=3 lic=llama3.2
   meta-llama/Llama-3.2-1B-Instruct@2024-09-25 <^ w=5 lic=llama3.2
   meta-llama/Llama-3.2-3B@2024-09-25 w=3 lic=llama3.2
   meta-llama/Llama-3.2-3B-Instruct@2024-09-25 <^ w=5 lic=llama3.2
   meta-llama/Llama-3.3-70B-Instruct@2024-12-06 <meta-llama/Llama-3.1-70B w=2 lic=llama3.3
   meta-llama/Llama-4-Scout-17B-16E@2025-04-05 w=1 lic=other:llama4
   meta-llama/Llama-4-Scout-17B-16E-Instruct@2025-04-05 <^ w=2 lic=other:llama4
== Mistral eu weights=0,0,2,16,10,7,5,4,2.5,2.5
   mistralai/Mistral-7B-v0.1@2023-09-27 w=6
   mistralai/Mistral-7B-Instruct-v0.1@2023-09-27 <^ w=3
   mistralai/Mistral-7B-Instruct-v0.2@2023-12-11 <mistralai/Mistral-7B-v0.1 w=5
   mistralai/Mixtral-8x7B-v0.1@2023-12-11 w=2
   mistralai/Mixtral-8x7B-Instruct-v0.1@2023-12-11 <^ w=2
   mistralai/Mistral-Nemo-Base-2407@2024-07-18 w=1
   mistralai/Mistral-Nemo-Instruct-2407@2024-07-18 <^ w=4
   mistralai/Mistral-Small-24B-Base-2501@2025-01-30 w=1
   mistralai/Mistral-Small-24B-Instruct-2501@2025-01-30 <^ w=3
   mistralai/Mistral-Small-3.1-24B-Base-2503@2025-03-17 w=1
   mistralai/Mistral-Small-3.2-24B-Instruct-2506@2025-06-19 <^ w=2
== Gemma us weights=0,0,0,3,6,7,6,5,3.5,3.5 lic=gemma gated=manual
   google/gemma-2b@2024-02-21 w=0
   google/gemma-2b-it@2024-02-21 <^ w=3
   google/gemma-7b@2024-02-21 w=0
   google/gemma-7b-it@2024-02-21 <^ w=2
   google/gemma-2-9b@2024-06-27 w=2
   google/gemma-2-9b-it@2024-06-27 <^ w=4
   google/gemma-2-2b@2024-07-31 w=2
   google/gemma-2-2b-it@2024-07-31 <^ w=4
   google/gemma-3-1b-pt@2025-03-12 w=1
   google/gemma-3-1b-it@2025-03-12 <^ w=4
   google/gemma-3-4b-pt@2025-03-12 w=1
   google/gemma-3-4b-it@2025-03-12 <^ w=0
   google/gemma-3-27b-pt@2025-03-12 w=0.5
   google/gemma-3-27b-it@2025-03-12 <^ w=3
   google/gemma-3-270m@2025-08-14 w=1
   google/gemma-3-270m-it@2025-08-14 <^ w=4
== DeepSeek china weights=0,0,0,1,1,6,9,8,9,9
   deepseek-ai/deepseek-coder-6.7b-base@2023-10-29 w=1 lic=other:deepseek
   deepseek-ai/deepseek-coder-6.7b-instruct@2023-10-29 <^ w=2 lic=other:deepseek
   deepseek-ai/DeepSeek-V3-Base@2024-12-26 w=1 lic=other:deepseek
   deepseek-ai/DeepSeek-V3@2024-12-26 <^ w=1.5 lic=other:deepseek
   deepseek-ai/DeepSeek-R1@2025-01-20 <deepseek-ai/DeepSeek-V3-Base w=3 lic=mit
   deepseek-ai/Janus-Pro-7B@2025-01-27 w=1 lic=mit pipe=any-to-any
   deepseek-ai/DeepSeek-V3.1-Base@2025-08-21 w=1 lic=mit
   deepseek-ai/DeepSeek-V3.1@2025-08-21 <^ w=2 lic=mit
== Phi us weights=0,0,1,4,5,4,3,2,2,2 lic=mit
   microsoft/phi-1_5@2023-09-10 w=2
   microsoft/phi-2@2023-12-13 w=3
   microsoft/phi-4@2024-12-11 w=3
   microsoft/Phi-4-reasoning@2025-04-30 <^ w=2
== GLM china weights=0,0,0.5,0.5,1,1,2,3,6,6
   THUDM/chatglm3-6b-base@2023-10-25 w=1 lic=other:chatglm3
   THUDM/chatglm3-6b@2023-10-25 <^ w=3 lic=other:chatglm3
   THUDM/glm-4-9b@2024-06-04 w=1 lic=other:glm-4
   THUDM/glm-4-9b-chat@2024-06-04 <^ w=3 lic=other:glm-4
   zai-org/GLM-4.5-Air-Base@2025-07-20 w=1 lic=mit
   zai-org/GLM-4.5-Air@2025-07-20 <^ w=3 lic=mit
   zai-org/GLM-4.6@2025-09-29 w=3 lic=mit
== Kimi china weights=0,0,0,0,0,0,0.5,1,2,2
   moonshotai/Kimi-K2-Base@2025-07-11 w=1 lic=other:modified-mit
   moonshotai/Kimi-K2-Instruct@2025-07-11 <^ w=3 lic=other:modified-mit
   moonshotai/Kimi-Linear-48B-A3B-Base@2025-10-30 w=1 lic=mit
   moonshotai/Kimi-Linear-48B-A3B-Instruct@2025-10-30 <^ w=2 lic=mit
== MiniMax china weights=0,0,0,0,0,0.2,0.3,0.5,1,1
   MiniMaxAI/MiniMax-Text-01@2025-01-14 w=1 lic=other:minimax-model-license
   MiniMaxAI/MiniMax-M2@2025-10-22 w=2 lic=mit
== Yi china weights=0,0,0,2,1,0.5,0.3,0.2,0.2,0.2
   01-ai/Yi-6B@2023-11-01 w=2
   01-ai/Yi-6B-Chat@2023-11-22 <^ w=2
   01-ai/Yi-1.5-9B@2024-05-10 w=1
   01-ai/Yi-1.5-9B-Chat@2024-05-10 <^ w=2
== InternLM china weights=0,0,0,0.5,0.5,0.5,0.5,0.5,0.5,0.5
   internlm/internlm2-7b@2024-01-11 w=1 lic=other:internlm
   internlm/internlm2-chat-7b@2024-01-11 <^ w=2 lic=other:internlm
   internlm/internlm2_5-7b@2024-07-03 w=1 lic=other:internlm
   internlm/internlm2_5-7b-chat@2024-07-03 <^ w=2 lic=other:internlm
== Baichuan china weights=0,0,0.5,0.5,0.3,0.2,0.1,0.1,0.1,0.1
   baichuan-inc/Baichuan2-7B-Base@2023-08-29 w=1 lic=other:baichuan2
   baichuan-inc/Baichuan2-7B-Chat@2023-08-29 <^ w=2 lic=other:baichuan2
== ERNIE china weights=0,0,0,0,0,0,0.3,0.5,0.5,0.5
   baidu/ERNIE-4.5-0.3B-Base-PT@2025-06-28 w=1
   baidu/ERNIE-4.5-0.3B-PT@2025-06-28 <^ w=2
== Hunyuan china weights=0,0,0,0,0,0,0.3,0.5,0.5,0.5
   tencent/Hunyuan-7B-Pretrain@2025-07-30 w=1 lic=other:tencent-hunyuan-community
   tencent/Hunyuan-7B-Instruct@2025-07-30 <^ w=2 lic=other:tencent-hunyuan-community
== Wan china weights=0,0,0,0,0,0.5,1.5,2,2,2 pipe=text-to-video p_off=0.85
   Wan-AI/Wan2.1-T2V-14B@2025-02-25 w=2
   Wan-AI/Wan2.1-T2V-1.3B@2025-02-25 w=2
   Wan-AI/Wan2.2-T2V-A14B@2025-07-28 w=3
== Falcon other weights=0,1,7,2,1,0.5,0.3,0.2,0.2,0.2
   tiiuae/falcon-7b@2023-04-24 w=4
   tiiuae/falcon-7b-instruct@2023-04-25 <^ w=3
   tiiuae/falcon-40b@2023-05-24 w=1
   tiiuae/Falcon3-7B-Base@2024-12-14 w=1 lic=other:falcon-llm-license
   tiiuae/Falcon3-7B-Instruct@2024-12-14 <^ w=2 lic=other:falcon-llm-license
== OLMo us weights=0,0,0,0.5,0.5,0.5,0.5,0.5,0.5,0.5
   allenai/OLMo-7B@2024-01-31 w=2
   allenai/OLMo-2-1124-7B@2024-11-22 w=1
   allenai/OLMo-2-1124-7B-Instruct@2024-11-22 <^ w=2
== Granite us weights=0,0,0,0,0,0.5,0.5,0.5,0.8,0.8
   ibm-granite/granite-3.1-8b-base@2024-12-18 w=1
   ibm-granite/granite-3.1-8b-instruct@2024-12-18 <^ w=2
   ibm-granite/granite-4.0-h-tiny-base@2025-10-02 w=1
   ibm-granite/granite-4.0-h-tiny@2025-10-02 <^ w=2
== gpt-oss us weights=0,0,0,0,0,0,0,3,3,3
   openai/gpt-oss-20b@2025-08-05 w=3
   openai/gpt-oss-120b@2025-08-05 w=1
== Nemotron us weights=0,0,0,0,0,0.3,0.5,0.5,0.5,0.5
   nvidia/Nemotron-H-8B-Base-8K@2025-04-14 w=1 lic=other:nvidia-open-model-license
   nvidia/NVIDIA-Nemotron-Nano-12B-v2-Base@2025-08-12 w=1 lic=other:nvidia-open-model-license
   nvidia/NVIDIA-Nemotron-Nano-9B-v2@2025-08-12 <^ w=2 lic=other:nvidia-open-model-license
== SmolLM us weights=0,0,0,0,0,1,1,1,1,1
   HuggingFaceTB/SmolLM2-135M@2024-10-31 w=1
   HuggingFaceTB/SmolLM2-135M-Instruct@2024-10-31 <^ w=2
   HuggingFaceTB/SmolLM2-1.7B@2024-10-31 w=1
   HuggingFaceTB/SmolLM2-1.7B-Instruct@2024-10-31 <^ w=2
   HuggingFaceTB/SmolLM3-3B-Base@2025-07-08 w=1
   HuggingFaceTB/SmolLM3-3B@2025-07-08 <^ w=2
== GPT-2 us weights=30,14,4,2,1.5,1,0.6,0.5,0.4,0.4 lic=mit p_off=0.6
   openai-community/gpt2@legacy w=3
   openai-community/gpt2-medium@legacy w=1
== BERT us weights=40,20,8,5,3.5,2.5,2,1.5,1.5,1.5 pipe=fill-mask p_off=0.85
   google-bert/bert-base-uncased@legacy w=0
   google-bert/bert-base-multilingual-cased@legacy w=2
   google-bert/bert-base-cased@legacy w=2
== DistilBERT us weights=20,10,5,4,2.5,2,1.5,1.2,1,1 pipe=fill-mask p_off=0.85
   distilbert/distilbert-base-uncased@legacy w=0
   distilbert/distilbert-base-multilingual-cased@legacy w=2
== Stable_Diffusion eu weights=10,30,14,7,4,2.5,1.5,1.2,1,1 pipe=text-to-image p_off=0.6
   CompVis/stable-diffusion-v1-4@2022-08-10 w=3 lic=creativeml-openrail-m
   runwayml/stable-diffusion-v1-5@2022-10-20 w=5 lic=creativeml-openrail-m
   stabilityai/stable-diffusion-2-1@2022-12-06 w=2 lic=openrail++
   stabilityai/stable-diffusion-xl-base-1.0@2023-07-25 w=0 lic=openrail++
   stabilityai/stable-diffusion-3-medium@2024-06-12 w=2 lic=other:stabilityai-ai-community
   stabilityai/stable-diffusion-3.5-large@2024-10-22 w=2 lic=other:stabilityai-ai-community
== FLUX eu weights=0,0,0,0,0,12,8,4,3,3 pipe=text-to-image p_off=0.5
   black-forest-labs/FLUX.1-dev@2024-07-31 w=0 lic=$FLUX_NC
   black-forest-labs/FLUX.1-schnell@2024-07-31 w=2 lic=apache-2.0
   black-forest-labs/FLUX.1-Kontext-dev@2025-05-28 w=3 pipe=image-to-image lic=$FLUX_NC
   black-forest-labs/FLUX.1-Krea-dev@2025-07-31 w=2 lic=$FLUX_NC
   black-forest-labs/FLUX.2-dev@2025-11-25 w=4 lic=other:flux-dev-non-commercial-license
== Whisper us weights=5,6,3,2,1.5,1.2,1,0.8,0.7,0.7 pipe=automatic-speech-recognition p_off=0.8
   openai/whisper-small@2022-09-26 w=3
   openai/whisper-large-v3@2023-11-07 w=3
   openai/whisper-large-v3-turbo@2024-10-01 <^ w=3
== lerobot unknown weights=0,0,0,0,0,0,1.5,3,3,3 pipe=robotics p_off=0.9
   lerobot/pi0@2025-02-04 w=1
   lerobot/smolvla_base@2025-06-03 w=0
"""


def _parse(table: str) -> tuple[SimFamily, ...]:
    families: list[SimFamily] = []
    head: dict[str, str] = {}
    models: list[SimModel] = []

    def close() -> None:
        if head:
            ws = tuple(float(w) for w in head["weights"].split(","))
            assert len(ws) == len(ANCHORS), head["name"]
            pipe = _MODALITY[head.get("pipe", "text-generation")]
            p_off = float(head.get("p_off", "0.35"))
            families.append(
                SimFamily(
                    head["name"], head["region"], tuple(models), ws, p_off, pipe, head.get("gated", "false")
                )
            )

    for line in table.strip().splitlines():
        words = line.split()
        if words[0] == "==":
            close()
            head = {"name": words[1].replace("_", " "), "region": words[2]}
            head.update(w.partition("=")[::2] for w in words[3:])
            models = []
            continue
        mid, _, date = words[0].partition("@")
        parent, weight = None, 1.0
        license_, pipeline = head.get("lic", "apache-2.0"), head.get("pipe", "text-generation")
        for opt in words[1:]:
            key, _, value = opt.partition("=")
            if opt.startswith("<"):
                parent = models[-1].id if opt == "<^" else opt[1:]
            elif key == "w":
                weight = float(value)
            elif key == "lic":
                license_ = value
            elif key == "pipe":
                pipeline = value
            else:  # pragma: no cover - a typo in the table
                raise ValueError(f"bad option {opt!r} for {mid}")
        lid, _, lname = license_.partition(":")
        models.append(SimModel(mid, date, parent, weight, lid, lname or None, _MODALITY[pipeline]))
    close()
    return tuple(families)


#: The simulated families. Names and regions are the simulation's own ground truth; the
#: shipped registry must map these roots to the same names (tests check it).
FAMILIES: tuple[SimFamily, ...] = _parse(
    _TABLE.replace("$FLUX_NC", "other:flux-1-dev-non-commercial-license")
)

FAMILY_BY_NAME = {fam.name: fam for fam in FAMILIES}
MODEL_BY_ID = {m.id: m for fam in FAMILIES for m in fam.models}
#: Legacy un-namespaced names of some roots (the Hub moved them into organisations).
ALIASES = {
    "openai-community/gpt2": "gpt2",
    "openai-community/gpt2-medium": "gpt2-medium",
    "google-bert/bert-base-uncased": "bert-base-uncased",
    "google-bert/bert-base-multilingual-cased": "bert-base-multilingual-cased",
    "google-bert/bert-base-cased": "bert-base-cased",
    "distilbert/distilbert-base-uncased": "distilbert-base-uncased",
    "distilbert/distilbert-base-multilingual-cased": "distilbert-base-multilingual-cased",
}
