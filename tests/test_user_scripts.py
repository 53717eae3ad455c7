"""End-to-end PyTorch-style user scripts (examples/scripts/) run under ferrotorch on both devices.

Each script is plain PyTorch code whose only ferrotorch-specific line is the import fallback; its
`main()` returns what it measured, and these tests check that training really learns, checkpoints
reload exactly and seeds reproduce. Sizes and step counts are cut down so the GPU (lavapipe here) is quick.
"""
import importlib.util
import math
import os

import pytest

SCRIPTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "scripts")


def load(name):
    spec = importlib.util.spec_from_file_location(f"user_script_{name}", os.path.join(SCRIPTS, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.torch.__name__ == "ferrotorch"  # the fallback import picked ferrotorch, not PyTorch
    return mod


def dev(device):
    return "cuda" if device == "gpu" else "cpu"  # scripts say "cuda": the alias must work


def mean(xs):
    return sum(xs) / len(xs)


def test_mlp_checkpoint_resume_matches_uninterrupted_run(device):
    r = load("mlp_checkpoint").main(dev(device), epochs=2, verbose=False)
    assert r["resume_diff"] == 0.0
    assert r["resumed_losses"] == r["losses"]
    assert r["losses"][-1] < 0.5 * r["losses"][0]
    assert r["accuracy"] > 0.9
    assert r["lr"] == pytest.approx(0.02 * 0.5)  # StepLR(step_size=2, gamma=0.5) after 2 epochs


def test_cnn_onecycle_learns_bars(device):
    r = load("cnn_onecycle").main(dev(device), steps=12, batch=16, verbose=False)
    assert mean(r["losses"][-3:]) < 0.5 * r["losses"][0]
    assert r["accuracy"] > 0.85
    assert r["bn_batches"] == 12
    # OneCycleLR(max_lr=0.2, total_steps=12), cosine anneal: the values PyTorch 2.15 gives.
    assert r["lrs"] == pytest.approx([0.069958, 0.175857, 0.198883, 0.186603, 0.162349, 0.129476, 0.092527,
                                      0.056612, 0.026696, 0.006913, 1e-06, 0.006913], abs=1e-6)
    assert all(math.isfinite(n) and n > 0 for n in r["grad_norms"])


def test_char_lstm_learns_and_samples(device):
    mod = load("char_lstm")
    r = mod.main(dev(device), steps=25 if device == "cpu" else 12, verbose=False)
    assert r["losses"][-1] < 0.6 * r["losses"][0]
    assert set(r["sample"]) <= r["vocab"] and len(r["sample"]) <= 30


def test_seq2seq_attention_learns_to_reverse(device):
    r = load("seq2seq_attention").main(dev(device), steps=30 if device == "cpu" else 12, batch=16, verbose=False)
    assert mean(r["losses"][-3:]) < 0.85 * mean(r["losses"][:3])
    assert r["token_accuracy"] > 0.2  # chance is 0.1


def test_transformer_lm_warmup_tying_and_learning(device):
    r = load("transformer_lm").main(dev(device), steps=25 if device == "cpu" else 12, warmup=5, verbose=False)
    assert r["tied"] and r["n_params"] == 18048  # the tied weight is counted once
    assert r["lrs"][:5] == pytest.approx([3e-3 * k / 5 for k in range(1, 6)])
    assert mean(r["losses"][-3:]) < 0.8 * r["losses"][0]


def test_vae_elbo_improves_and_kl_matches_closed_form(device):
    r = load("vae").main(dev(device), steps=60 if device == "cpu" else 25, verbose=False)
    assert mean(r["losses"][-5:]) < 0.8 * mean(r["losses"][:5])
    assert r["kl_gap"] < 1e-4
    assert 0.0 < r["mean_radius"] < 2.0


def test_gan_generator_moves_toward_target(device):
    r = load("gan").main(dev(device), steps=150, batch=32, verbose=False)
    # The generator starts near mean 0; the target is N(3, 0.5).
    assert 1.5 < r["mean"] < 5.0
    assert all(math.isfinite(v) for v in r["d_losses"] + r["g_losses"])


def test_custom_autograd_function(device):
    r = load("custom_function").main(dev(device), steps=20, verbose=False)
    assert r["gradcheck"] is True and r["gradgradcheck"] is True
    assert r["grad_diff"] < 1e-12
    assert not r["out_of_range"] and r["has_grad_fn"]
    assert r["losses"][-1] < 0.1 * r["losses"][0]


def test_finetune_state_dict_surgery_and_freezing(device):
    r = load("finetune_surgery").main(dev(device), steps=15, verbose=False)
    assert r["missing"] == ["classifier.bias", "classifier.weight"] and r["unexpected"] == []
    assert r["copied"] and r["frozen_unchanged"] and r["no_grads"]
    assert r["trainable"] == 16 * 2 + 2
    assert r["first_layer_unchanged"] and r["last_layer_changed"]
    assert r["lrs"] == [0.01, 0.001]
    assert r["stage1"][-1] < r["stage1"][0] and r["stage2"][-1] < r["stage1"][-1]


def test_amp_gradient_accumulation(device):
    mod = load("amp_accumulation")
    r = mod.main(dev(device), steps=10, verbose=False)
    assert r["accum_diff"] < 1e-5
    assert r["out_dtype"] == r["amp_dtype"] == (mod.torch.float16 if device == "gpu" else mod.torch.bfloat16)
    assert r["param_dtype"] == mod.torch.float32
    assert r["scale"] == 256.0  # no overflow, and growth only after 2000 clean steps
    assert r["losses"][-1] < 0.2 * r["losses"][0]


def test_custom_dataset_collate_and_weighted_sampler(device):
    r = load("sampler_collate").main(dev(device), epochs=2 if device == "cpu" else 1, verbose=False)
    assert r["rare_fraction"] < 0.15
    assert 0.35 < r["sampled_share"] < 0.65  # the sampler rebalances the classes
    assert r["n_batches"] == 13
    assert r["losses"][-1] < r["losses"][0]
    assert r["accuracy"] > 0.85


def test_reproducibility_and_checkpoint_round_trip(device):
    r = load("reproducibility").main(dev(device), verbose=False)
    assert r["same_seed_equal"] and r["different_seed_differs"]
    assert r["reload_equal"] and r["rng_restored"] and r["eval_deterministic"]
    assert r["optim_keys"] == ["param_groups", "state"]
    assert "(1): Dropout(p=0.3, inplace=False)" in r["log"]
    assert "tensor([[0, 1, 2],\n        [3, 4, 5]])" in r["log"]
    assert all(math.isfinite(v) for v in r["losses"])
