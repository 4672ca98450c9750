"""Editing the network from the canvas: the Network menu's actions, context menus and double-clicks.

Every edit goes through ``Session.edit_network`` (one undoable command; refused with a message while
training runs). Which layer, neuron or connection an action applies to comes from the session's
selection, so the same actions serve the menu bar, the context menus and the keyboard.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QPoint
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from ...engine import ACTIVATIONS, Network
from ...engine import edits as ed
from ..changes import Change
from ..dialogs import LayerDialog, RandomiseDialog, ask_number, run_modal
from ..session import NO_SELECTION, Selection, Session
from ..theme import icon
from .scene import Hit
from .view import NetworkView

NEW_LAYER_MAX = 32


class CanvasEditor(QObject):
    """Owns the network-editing actions and applies them to the selection."""

    def __init__(self, session: Session, view: NetworkView, parent: QWidget) -> None:
        super().__init__(parent)
        self.session = session
        self.view = view
        self.parent_widget = parent
        mk = self._action
        self.act_edit_value = mk(
            "Edit &Value…", self.edit_value, "F2", tip="Type a new value for the selected weight or bias"
        )
        self.act_layer_props = mk("Layer &Size and Activation…", self.layer_properties, "Ctrl+L")
        self.act_add_before = mk(
            "Add Layer &Before", lambda: self.add_layer(after=False), "Ctrl+Shift+B", "add-layer"
        )
        self.act_add_after = mk(
            "Add Layer &After", lambda: self.add_layer(after=True), "Ctrl+Shift+A", "add-layer"
        )
        self.act_remove_layer = mk("&Remove Layer", self.remove_layer, "Ctrl+Shift+Del", "remove-layer")
        self.act_add_neuron = mk("Add &Neuron", self.add_neuron, "Ctrl+Shift+N", "add-neuron")
        self.act_remove_neuron = mk("Remove Ne&uron", self.remove_neuron, None, "remove-neuron")
        self.act_toggle_connection = mk("Remove &Connection", self.toggle_connection, None, "cut-connection")
        self.act_delete = mk("&Delete Selected", self.delete_selected, QKeySequence.StandardKey.Delete)
        self.act_randomise = mk("Randomise &Weights…", self.randomise, "Ctrl+R", "randomise")
        self.act_expand = mk("E&xpand Layer", self.toggle_expand, "Ctrl+E")
        self.act_layer_bias = mk(
            "Layer Has &Biases",
            self.toggle_layer_bias,
            tip="Untick for a layer without biases: z = W·a (its biases are 0 and never change)",
        )
        self.act_layer_bias.setCheckable(True)
        self.activation_menu = QMenu("Layer &Activation", parent)
        self.activation_group = QActionGroup(self)
        for act in ACTIVATIONS:
            a = QAction(act.label, self.activation_group)
            a.setCheckable(True)
            a.setData(act.name)
            a.setToolTip(f"{act.formula};  {act.derivative}")
            a.triggered.connect(lambda _c=False, name=act.name: self.set_activation(name))
            self.activation_menu.addAction(a)
        session.selectionChanged.connect(self.update_actions)
        session.changed.connect(self._changed)
        session.runningChanged.connect(self.update_actions)
        view.activated.connect(self.activate)
        view.contextRequested.connect(self.context_menu)
        self.update_actions()

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut=None,
        icon_name: str | None = None,
        tip: str = "",
    ):
        a = QAction(text, self.parent_widget)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        if icon_name:
            a.setIcon(icon(icon_name))
            a.setData(icon_name)
        if tip:
            a.setStatusTip(tip)
        a.triggered.connect(lambda _checked=False: slot())
        return a

    def actions(self) -> list[QAction]:
        """The actions in the order of the Network menu (None for a separator)."""
        return [
            self.act_edit_value,
            self.act_delete,
            None,
            self.act_add_before,
            self.act_add_after,
            self.act_remove_layer,
            self.act_layer_props,
            self.activation_menu.menuAction(),
            self.act_layer_bias,
            self.act_expand,
            None,
            self.act_add_neuron,
            self.act_remove_neuron,
            self.act_toggle_connection,
            None,
            self.act_randomise,
        ]

    # ------------------------------------------------------------------ what the selection points at
    def current_layer(self) -> int | None:
        """The neuron layer the layer actions apply to: the selected neuron's or layer, an edge's target."""
        sel = self.session.selection
        n = len(self.session.network.sizes)
        if sel.kind in ("neuron", "layer"):
            layer = sel.layer
        elif sel.kind in ("edge", "bias"):
            layer = sel.layer + 1
        else:
            return None
        return layer if 0 <= layer < n else None

    def _changed(self, change: Change) -> None:
        if change & (Change.SHAPE | Change.LOCKED):
            self.update_actions()

    def update_actions(self, *_args) -> None:
        sel = self.session.selection
        net = self.session.network
        layer = self.current_layer()
        editable = not self.session.running and not self.session.locked
        is_edge = sel.kind == "edge"
        self.act_edit_value.setEnabled(
            editable and (is_edge or sel.kind == "bias" or (sel.kind == "neuron" and sel.layer > 0))
        )
        self.act_layer_props.setEnabled(editable and layer is not None)
        self.act_add_before.setEnabled(editable and layer is not None)
        self.act_add_after.setEnabled(editable)
        self.act_add_after.setText("Add Layer &After" if layer is not None else "Add &Hidden Layer")
        self.act_remove_layer.setEnabled(editable and layer is not None and len(net.sizes) > 2)
        self.act_add_neuron.setEnabled(editable and layer is not None)
        self.act_remove_neuron.setEnabled(editable and sel.kind == "neuron" and net.sizes[sel.layer] > 1)
        present = is_edge and net.connection_present(sel.layer, sel.index, sel.frm)
        self.act_toggle_connection.setText(
            "Restore &Connection" if is_edge and not present else "Remove &Connection"
        )
        self.act_toggle_connection.setEnabled(editable and is_edge)
        self.act_delete.setEnabled(editable and (is_edge or sel.kind == "neuron" or sel.kind == "layer"))
        self.act_randomise.setEnabled(editable)
        big = layer is not None and net.sizes[layer] > 32
        self.act_expand.setEnabled(big)
        expanded = big and layer in self.view.network_scene.expanded
        self.act_expand.setText("Colla&pse Layer" if expanded else "E&xpand Layer")
        self.activation_menu.setEnabled(editable and layer is not None and layer > 0)
        self.act_layer_bias.setEnabled(editable and layer is not None and layer > 0)
        self.act_layer_bias.setChecked(layer is None or layer == 0 or net.use_bias[layer - 1])
        for a in self.activation_group.actions():
            a.setChecked(layer is not None and layer > 0 and a.data() == net.activations[layer - 1])

    # ------------------------------------------------------------------ edits
    def _initial(self) -> ed.Initial:
        cfg = self.session.config
        return ed.Initial(cfg.init, cfg.init_params, cfg.seed)

    def _edit(self, text: str, change: Callable[[Network], None], structural: bool) -> bool:
        return self.session.edit_network(text, change, structural=structural)

    def edit_value(self) -> None:
        sel = self.session.selection
        net = self.session.network
        names = self.session.names
        if sel.kind == "edge":
            if not net.connection_present(sel.layer, sel.index, sel.frm):
                self.session.errorOccurred.emit(
                    "Connection removed", "Restore this connection before giving it a weight."
                )
                return
            name = names.weight(sel.layer, sel.index, sel.frm)
            value = ask_number(
                self.parent_widget,
                "Edit Weight",
                f"New value of {name}:",
                net.weights[sel.layer][sel.index, sel.frm],
            )
            if value is not None:
                self._edit(
                    f"Set {name} = {value:g}",
                    lambda n: ed.set_weight(n, sel.layer, sel.index, sel.frm, value),
                    False,
                )
        elif sel.kind in ("bias", "neuron"):
            layer = sel.layer if sel.kind == "bias" else sel.layer - 1
            if layer < 0:
                return
            if not net.use_bias[layer]:
                self.session.errorOccurred.emit(
                    "No biases",
                    f"Layer {names.layer(layer + 1)} has no biases: tick Network ▸ Layer Has Biases first.",
                )
                return
            name = names.bias(layer, sel.index)
            value = ask_number(
                self.parent_widget,
                "Edit Bias",
                f"New value of the bias {name} of {names.neuron(layer + 1, sel.index)}:",
                net.biases[layer][sel.index],
            )
            if value is not None:
                self._edit(
                    f"Set {name} = {value:g}", lambda n: ed.set_bias(n, layer, sel.index, value), False
                )

    def layer_properties(self, layer: int | None = None) -> None:
        layer = self.current_layer() if layer is None else layer
        if layer is None:
            return
        net = self.session.network
        act = net.activations[layer - 1] if layer > 0 else None
        dlg = LayerDialog(self.parent_widget, f"Layer {layer + 1}", net.sizes[layer], act)
        if not run_modal(dlg):
            return
        size, new_act = dlg.size_box.value(), (dlg.activation if layer > 0 else None)
        if size == net.sizes[layer] and new_act == act:
            return
        initial = self._initial()

        def change(n: Network) -> None:
            if size != n.sizes[layer]:
                ed.resize_layer(n, layer, size, initial)
            if new_act is not None and new_act != act:
                ed.set_activation(n, layer, new_act)

        self._edit(f"Layer {layer + 1}: {size} neurons" + (f", {new_act}" if new_act else ""), change, True)

    def _hidden_activation(self) -> str:
        net = self.session.network
        if net.n_layers > 1:
            return net.activations[0]
        return net.activations[-1] if net.activations[-1] != "softmax" else "sigmoid"

    def add_layer(self, after: bool) -> None:
        """A layer before or after the current one (nothing selected: a hidden layer before the output)."""
        net = self.session.network
        layer = self.current_layer()
        if layer is None:
            layer, after = net.n_layers, False
        position = layer + 1 if after else layer
        size = net.sizes[layer] if net.sizes[layer] <= NEW_LAYER_MAX else 10
        hidden = self._hidden_activation()
        initial = self._initial()
        L = net.n_layers

        def change(n: Network) -> None:
            if position == L + 1:  # a new output layer: it inherits the output activation
                out_act = n.activations[-1]
                ed.insert_layer(n, position, size, out_act, initial)
                n.activations[L - 1] = hidden
                n.validate()
            else:
                ed.insert_layer(n, position, size, hidden, initial)

        where = "input" if position == 0 else ("output" if position == L + 1 else f"layer {position + 1}")
        if self._edit(f"Add {where}", change, True):
            self.session.select(NO_SELECTION)

    def remove_layer(self, layer: int | None = None) -> None:
        layer = self.current_layer() if layer is None else layer
        if layer is None:
            return
        initial = self._initial()
        self._edit(f"Remove layer {layer + 1}", lambda n: ed.remove_layer(n, layer, initial), True)

    def add_neuron(self) -> None:
        layer = self.current_layer()
        if layer is None:
            return
        size = self.session.network.sizes[layer] + 1
        initial = self._initial()
        name = self.session.names.layer(layer)
        if self._edit(
            f"Add a neuron to layer {name}", lambda n: ed.resize_layer(n, layer, size, initial), True
        ):
            # the new neuron is selected, so pressing Add Neuron again adds to the same layer
            self.session.select(Selection("neuron", layer, size - 1))

    def remove_neuron(self) -> None:
        sel = self.session.selection
        if sel.kind != "neuron":
            return
        self._edit(
            f"Remove neuron {sel.index + 1} of layer {sel.layer + 1}",
            lambda n: ed.remove_neuron(n, sel.layer, sel.index),
            True,
        )

    def set_activation(self, name: str) -> None:
        layer = self.current_layer()
        if layer is None or layer == 0:
            return
        if self.session.network.activations[layer - 1] == name:
            return
        if not self._edit(f"Layer {layer + 1}: {name}", lambda n: ed.set_activation(n, layer, name), True):
            self.update_actions()  # put the check mark back

    def toggle_layer_bias(self) -> None:
        """Give the current layer biases (starting at 0) or take them away (Undo brings them back)."""
        layer = self.current_layer()
        if layer is None or layer == 0:
            return
        used = not self.session.network.use_bias[layer - 1]
        text = f"Layer {self.session.names.layer(layer)}: {'biases' if used else 'no biases'}"
        sel = self.session.selection
        if self._edit(text, lambda n: n.set_use_bias(layer - 1, used), True):
            self.session.select(sel)  # the same neuron or layer stays selected
        self.update_actions()

    def toggle_connection(self) -> None:
        sel = self.session.selection
        if sel.kind != "edge":
            return
        present = self.session.network.connection_present(sel.layer, sel.index, sel.frm)
        name = self.session.names.weight(sel.layer, sel.index, sel.frm)
        text = f"{'Remove' if present else 'Restore'} connection {name}"
        if self._edit(text, lambda n: n.set_connection(sel.layer, sel.index, sel.frm, not present), True):
            self.session.select(sel)
            self.update_actions()

    def delete_selected(self) -> None:
        sel = self.session.selection
        if sel.kind == "edge":
            if self.session.network.connection_present(sel.layer, sel.index, sel.frm):
                self.toggle_connection()
        elif sel.kind == "neuron":
            self.remove_neuron()
        elif sel.kind == "layer":
            self.remove_layer(sel.layer)

    def randomise(self) -> None:
        cfg = self.session.config
        dlg = RandomiseDialog(self.parent_widget, cfg.init, dict(cfg.init_params), cfg.seed)
        if not run_modal(dlg):
            return
        self.session.reset_weights(seed=dlg.seed, init=dlg.init, init_params=dlg.params)

    def toggle_expand(self, layer: int | None = None) -> None:
        layer = self.current_layer() if layer is None else layer
        if layer is None or self.session.network.sizes[layer] <= 32:
            return
        scene = self.view.network_scene
        scene.set_expanded(layer, layer not in scene.expanded)
        self.update_actions()

    # ------------------------------------------------------------------ canvas events
    def activate(self, hit: Hit) -> None:
        """Double-click: edit a weight or bias, open a layer's dialog, expand a block."""
        if hit.kind in ("edge", "bias"):
            self.edit_value()
        elif hit.kind == "neuron":
            if hit.layer > 0:
                self.edit_value()
            else:
                self.session.statusMessage.emit(
                    "Input neurons hold the inputs x of the current sample: they have no bias."
                )
        elif hit.kind == "block":
            self.toggle_expand(hit.layer)
        elif hit.kind in ("header", "bias_node"):
            self.layer_properties(hit.layer)

    def context_menu(self, hit: Hit | None, pos: QPoint) -> None:
        menu = self.build_context_menu(hit)
        menu.exec(pos)
        menu.deleteLater()  # made for this click

    def build_context_menu(self, hit: Hit | None) -> QMenu:
        menu = QMenu(self.parent_widget)
        menu.setObjectName("canvasContextMenu")
        self.update_actions()
        if hit is None:
            for a in (self.act_add_after, self.act_randomise):
                menu.addAction(a)
            return menu
        if hit.kind in ("edge", "bias"):
            menu.addAction(self.act_edit_value)
            if hit.kind == "edge":
                menu.addAction(self.act_toggle_connection)
            menu.addSeparator()
        if hit.kind == "neuron":
            if hit.layer > 0:
                menu.addAction(self.act_edit_value)
            menu.addAction(self.act_add_neuron)
            menu.addAction(self.act_remove_neuron)
            menu.addSeparator()
        for a in (
            self.act_layer_props,
            self.activation_menu.menuAction(),
            self.act_layer_bias,
            self.act_expand,
        ):
            if a.isEnabled() or a is self.act_layer_props:
                menu.addAction(a)
        menu.addSeparator()
        for a in (self.act_add_before, self.act_add_after, self.act_remove_layer):
            menu.addAction(a)
        return menu
