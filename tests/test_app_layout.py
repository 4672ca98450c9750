"""Qt-free parts of the canvas: layout, label placement, structural edits, number formatting, names."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bpstudio.app.canvas.layout import (
    COLLAPSE_ABOVE,
    compute_layout,
    edge_segments,
    place_labels,
    point_segment_distance,
    preferred_t,
    rects_overlap,
)
from bpstudio.engine import EngineError, Network
from bpstudio.engine import edits as ed
from bpstudio.teaching.labels import bias_name, fmt, neuron_name, weight_name


def _net(sizes, seed=0, act="sigmoid"):
    return Network.create(sizes, act, init="uniform", init_params={"r": 0.5}, seed=seed)


# ---------------------------------------------------------------------------- layout
def test_layers_are_columns_left_to_right_centred_on_zero():
    lay = compute_layout([2, 3, 1])
    xs = [g.x for g in lay.layers]
    assert xs == sorted(xs) and len(set(xs)) == 3
    for g in lay.layers:
        assert np.allclose(g.xs, g.x)
        assert np.isclose(g.ys.mean(), 0.0)
        assert np.all(np.diff(g.ys) > 2 * g.radius)  # neurons never touch


def test_large_layer_collapses_into_a_block_and_expands_into_a_grid():
    lay = compute_layout([784, 30, 10])
    big = lay.layers[0]
    assert big.collapsed and len(big.xs) == 0
    assert not lay.layers[1].collapsed  # 30 ≤ COLLAPSE_ABOVE
    assert len(edge_segments(lay, 0)[0].reshape(-1, 2)) == 30  # bundled: one line per target
    lay = compute_layout([784, 30, 10], expanded={0})
    grid = lay.layers[0]
    assert grid.grid and not grid.collapsed and len(grid.xs) == 784
    assert len(np.unique(grid.xs)) == 28 and len(np.unique(grid.ys)) == 28  # the 28 × 28 image
    # row-major: neuron 1 is right of neuron 0, neuron 28 below it
    assert grid.xs[1] > grid.xs[0] and grid.ys[1] == grid.ys[0] and grid.ys[28] > grid.ys[0]
    starts, ends = edge_segments(lay, 0)
    assert starts.shape == (30, 784, 2) and ends.shape == (30, 784, 2)
    assert COLLAPSE_ABOVE == 32


def test_bias_nodes_sit_above_every_layer_but_the_output():
    lay = compute_layout([2, 2, 1], bias_nodes=True)
    assert [g.bias is not None for g in lay.layers] == [True, True, False]
    top = min(g.rect[1] for g in lay.layers)
    assert all(g.bias[1] < top for g in lay.layers[:-1])


def test_point_segment_distance():
    a = np.array([[0.0, 0.0], [0.0, 0.0]])
    b = np.array([[10.0, 0.0], [0.0, 10.0]])
    d = point_segment_distance((5.0, 3.0), a, b)
    assert np.allclose(d, [3.0, 5.0])
    assert np.isclose(point_segment_distance((-4.0, 3.0), a[:1], b[:1])[0], 5.0)  # beyond the end


@pytest.mark.parametrize("sizes", [[2, 2, 1], [2, 3, 2], [3, 4, 2], [4, 4, 4], [1, 1]])
def test_edge_labels_do_not_overlap_each_other_or_neurons(sizes):
    lay = compute_layout(sizes, labels=True)
    obstacles = []
    for g in lay.layers:
        for x, y in zip(g.xs, g.ys):
            obstacles.append((x - g.radius, y - g.radius, 2 * g.radius, 2 * g.radius))
    segs = []
    for i in range(len(sizes) - 1):
        starts, ends = edge_segments(lay, i)
        n_to, n_from = starts.shape[:2]
        for to, frm in itertools.product(range(n_to), range(n_from)):
            segs.append(
                (tuple(starts[to, frm]), tuple(ends[to, frm]), preferred_t(frm, n_from, to, n_to), "−0.123")
            )
    rects = place_labels(segs, lambda t: (44.0, 16.0), obstacles)
    assert len(rects) == len(segs)
    for r, s in itertools.combinations(rects, 2):
        assert not rects_overlap(r, s)
    for r in rects:
        assert not any(rects_overlap(r, o) for o in obstacles)
    for (p0, p1, _, _), r in zip(segs, rects):  # each label sits on its own edge
        c = (r[0] + r[2] / 2, r[1] + r[3] / 2)
        assert point_segment_distance(c, np.array([p0]), np.array([p1]))[0] < 1e-6


# ---------------------------------------------------------------------------- structural edits
INIT = ed.Initial("uniform", {"r": 0.5}, seed=3)


def test_insert_hidden_layer_replaces_the_joining_weights_and_keeps_the_others():
    net = _net([2, 3, 1])
    w_out = net.weights[1].copy()
    ed.insert_layer(net, 1, 4, "tanh", INIT)
    assert net.sizes == [2, 4, 3, 1]
    assert net.activations == ["tanh", "sigmoid", "sigmoid"]
    assert [w.shape for w in net.weights] == [(4, 2), (3, 4), (1, 3)]
    np.testing.assert_array_equal(net.weights[2], w_out)


def test_insert_input_and_output_layers():
    net = _net([2, 1])
    ed.insert_layer(net, 0, 3, "relu", INIT)
    assert net.sizes == [3, 2, 1] and net.activations == ["relu", "sigmoid"]
    ed.insert_layer(net, 3, 2, "identity", INIT)
    assert net.sizes == [3, 2, 1, 2] and net.activations[-1] == "identity"
    net.validate()


def test_new_weights_are_reproducible_and_differ_between_neurons():
    a, b = _net([2, 2, 1]), _net([2, 2, 1])
    ed.resize_layer(a, 1, 4, INIT)
    ed.resize_layer(b, 1, 4, INIT)
    np.testing.assert_array_equal(a.weights[0], b.weights[0])
    assert not np.array_equal(a.weights[0][2], a.weights[0][3])  # no symmetric twins


def test_resize_keeps_existing_weights_and_masks():
    net = _net([3, 2, 2])
    net.set_connection(0, 1, 2, False)
    before = [w.copy() for w in net.weights]
    ed.resize_layer(net, 1, 4, INIT)
    assert net.sizes == [3, 4, 2]
    np.testing.assert_array_equal(net.weights[0][:2], before[0])
    np.testing.assert_array_equal(net.weights[1][:, :2], before[1])
    assert not net.connection_present(0, 1, 2) and net.connection_present(0, 3, 2)
    ed.resize_layer(net, 1, 1, INIT)
    np.testing.assert_array_equal(net.weights[0], before[0][:1])
    assert net.masks[0] is None  # the removed connection belonged to the dropped neuron


def test_remove_neuron_drops_its_row_bias_and_column():
    net = _net([2, 3, 2])
    w0, b0, w1 = net.weights[0].copy(), net.biases[0].copy(), net.weights[1].copy()
    ed.remove_neuron(net, 1, 1)
    assert net.sizes == [2, 2, 2]
    np.testing.assert_array_equal(net.weights[0], w0[[0, 2]])
    np.testing.assert_array_equal(net.biases[0], b0[[0, 2]])
    np.testing.assert_array_equal(net.weights[1], w1[:, [0, 2]])
    with pytest.raises(EngineError, match="at least one neuron"):
        ed.remove_neuron(_net([2, 1]), 1, 0)


def test_remove_layers():
    net = _net([2, 3, 4, 1])
    last = net.weights[2].copy()
    ed.remove_layer(net, 1, INIT)
    assert net.sizes == [2, 4, 1] and [w.shape for w in net.weights] == [(4, 2), (1, 4)]
    np.testing.assert_array_equal(net.weights[1], last)
    ed.remove_layer(net, 2, INIT)  # the output: the hidden layer becomes the output
    assert net.sizes == [2, 4]
    with pytest.raises(EngineError, match="at least an input and an output"):
        ed.remove_layer(net, 0, INIT)


def test_edits_refuse_to_grow_a_network_past_the_parameter_limit():
    """Two layers of 4,096 joined are 16.8 million weights: an edit in the window took 16 s and
    gigabytes then (a row each in the δ/Δw table, a copy in every undo step), and a few more froze it."""
    assert ed.parameter_count([784, 4096, 10]) == 784 * 4096 + 4096 + 4096 * 10 + 10 < ed.MAX_EDIT_PARAMETERS
    net = _net([2, 4096, 1])
    with pytest.raises(EngineError, match="16,797,697 weights and biases; an edit may make it at most"):
        ed.insert_layer(net, 1, 4096, "sigmoid", INIT)
    assert net.sizes == [2, 4096, 1]  # nothing changed
    net = _net([2, 2, 1])
    ed.resize_layer(net, 0, 784, INIT)
    ed.resize_layer(net, 1, 4096, INIT)  # 784-4096-1: 3.2 million, allowed
    with pytest.raises(EngineError, match="at most 4,000,000"):
        ed.resize_layer(net, 0, 1000, INIT)
    ed.insert_layer(net, 2, 3, "sigmoid", INIT)  # 784-4096-3-1
    ed.resize_layer(net, 0, 700, INIT)  # smaller is always allowed
    big = _net([600, 600, 600])
    ed.insert_layer(big, 1, 2, "sigmoid", INIT)  # 600-2-600-600
    ed.resize_layer(big, 2, 4000, INIT)  # 600-2-4000-600: 2.4 million
    with pytest.raises(EngineError, match="at most 4,000,000"):  # joining 600 and 4,000: 2.4 + 2.4 million
        ed.remove_layer(big, 1, INIT)


def test_softmax_cannot_go_in_a_hidden_layer():
    net = _net([2, 2, 1])
    with pytest.raises(EngineError, match="softmax"):
        ed.set_activation(net, 1, "softmax")


def test_set_weight_refuses_removed_connections_and_non_finite_values():
    net = _net([2, 1])
    ed.set_weight(net, 0, 0, 1, 0.75)
    assert net.weights[0][0, 1] == 0.75
    net.set_connection(0, 0, 0, False)
    with pytest.raises(EngineError, match="restore"):
        ed.set_weight(net, 0, 0, 0, 1.0)
    with pytest.raises(EngineError, match="finite"):
        ed.set_bias(net, 0, 0, float("nan"))


# ---------------------------------------------------------------------------- formatting and names
@pytest.mark.parametrize(
    "value, precision, text",
    [
        (0.14, 3, "0.14"),
        (-0.4600001, 3, "−0.46"),
        (0.5, 3, "0.5"),
        (0.26894142, 3, "0.269"),
        (1.0, 3, "1"),
        (-0.0, 3, "0"),
        (0.0004, 3, "4e−4"),
        (2.5e-7, 4, "2.5e−7"),
        (12345678.0, 2, "1.2e7"),
        (None, 3, "–"),
        (float("nan"), 3, "NaN"),
    ],
)
def test_fmt(value, precision, text):
    assert fmt(value, precision) == text


def test_names_follow_the_notes():
    assert neuron_name(0, 0) == "x₁"
    assert neuron_name(1, 0) == "a₁⁽²⁾"
    assert neuron_name(2, 1, "index") == "2"
    assert neuron_name(2, 1, "none") == ""
    assert weight_name(0, 0, 1) == "w₁₂⁽¹⁾"
    assert bias_name(0, 1, "node") == "w₂₀⁽¹⁾"
    assert bias_name(0, 1, "value") == "b₂⁽²⁾"
