"""The dark theme's palette: WCAG contrast of its colours, and controls as Fusion really draws them
(an unticked check box, a radio button, fields, the check boxes of list items, the import dialog's
target list), and the light theme coming back unchanged after the dark one."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QSpinBox,
    QStyle,
    QStyleOptionButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from bpstudio.app import theme
from bpstudio.app.data.import_dialog import ImportDialog
from bpstudio.app.theme import (
    DARK_OUTLINE,
    DARK_OUTLINE_DISABLED,
    apply_theme,
    contrast_ratio,
    dark_palette,
    is_dark,
    window_colour,
    window_for_outline,
)

Role = QPalette.ColorRole
Group = QPalette.ColorGroup

#: WCAG thresholds: normal text, and user-interface components (borders, indicators)
TEXT = 4.5
COMPONENT = 3.0
#: disabled controls must stay visible, dimmer than enabled ones
DISABLED_COMPONENT = 2.0


@pytest.fixture
def dark(qapp):
    """The application in the dark theme for one test, back in the system (here: light) one after."""
    apply_theme(qapp, "dark")
    yield qapp.palette()
    apply_theme(qapp, "system")


def shown(qtbot, *widgets: QWidget) -> QWidget:
    """The widgets in a plain window (painted with the window colour), shown."""
    host = QWidget()
    layout = QVBoxLayout(host)
    for w in widgets:
        layout.addWidget(w)
    qtbot.addWidget(host)
    host.resize(320, 60 + 40 * len(widgets))
    host.show()
    qtbot.waitExposed(host)
    return host


def grab(widget: QWidget) -> QImage:
    """The widget as it is painted now, at one device pixel per logical pixel."""
    QApplication.processEvents()
    image = widget.grab().toImage()
    image.setDevicePixelRatio(1.0)
    return image.convertToFormat(QImage.Format.Format_RGB32)


def strongest_contrast(image: QImage, rect: QRect, against: QColor) -> float:
    """The highest WCAG contrast between a pixel of ``rect`` in ``image`` and the colour ``against``."""
    rect = rect.intersected(image.rect())
    return max(
        contrast_ratio(QColor(image.pixel(x, y)), against)
        for y in range(rect.top(), rect.bottom() + 1)
        for x in range(rect.left(), rect.right() + 1)
    )


def indicator_rect(widget: QWidget, element: QStyle.SubElement, host: QWidget) -> QRect:
    """Where the style draws the check/radio indicator of ``widget``, in ``host``'s coordinates."""
    opt = QStyleOptionButton()
    opt.initFrom(widget)
    rect = widget.style().subElementRect(element, opt, widget)
    return rect.translated(widget.mapTo(host, rect.topLeft()) - rect.topLeft())


def in_host(widget: QWidget, host: QWidget, rect: QRect | None = None) -> QRect:
    r = rect if rect is not None else widget.rect()
    return QRect(widget.mapTo(host, r.topLeft()), r.size())


# ---------------------------------------------------------------------- the palette's colours
@pytest.mark.parametrize(
    ("fg", "bg", "group", "least"),
    [
        (Role.WindowText, Role.Window, Group.Active, TEXT),
        (Role.Text, Role.Base, Group.Active, TEXT),
        (Role.Text, Role.AlternateBase, Group.Active, TEXT),
        (Role.ButtonText, Role.Button, Group.Active, TEXT),
        (Role.ToolTipText, Role.ToolTipBase, Group.Active, TEXT),
        (Role.HighlightedText, Role.Highlight, Group.Active, TEXT),
        (Role.PlaceholderText, Role.Base, Group.Active, TEXT),
        (Role.Link, Role.Base, Group.Active, TEXT),
        (Role.Link, Role.Window, Group.Active, TEXT),
        (Role.Highlight, Role.Base, Group.Active, COMPONENT),  # a selected row stands out
        (Role.WindowText, Role.Window, Group.Disabled, COMPONENT),
        (Role.Text, Role.Base, Group.Disabled, COMPONENT),
        (Role.ButtonText, Role.Button, Group.Disabled, COMPONENT),
        (Role.HighlightedText, Role.Highlight, Group.Disabled, COMPONENT),
    ],
)
def test_dark_palette_text_is_readable_on_its_background(qapp, fg, bg, group, least):
    p = dark_palette()
    ratio = contrast_ratio(p.color(group, fg), p.color(group, bg))
    assert ratio >= least, f"{fg.name} on {bg.name} ({group.name}): {ratio:.2f} < {least}"


def test_disabled_text_is_dimmer_than_enabled_text(qapp):
    p = dark_palette()
    window = p.color(Role.Window)
    for role in (Role.WindowText, Role.Text, Role.ButtonText):
        assert contrast_ratio(p.color(Group.Disabled, role), window) < 0.6 * contrast_ratio(
            p.color(Group.Active, role), window
        )


def test_the_dark_palette_takes_nothing_from_the_palette_in_use(qapp):
    """Built while a light palette is in use or while a garish one is: the same colours everywhere."""
    saved = qapp.palette()
    try:
        qapp.setPalette(qapp.style().standardPalette())
        from_light = dark_palette()
        garish = QPalette(QColor("#ff00ff"))
        qapp.setPalette(garish)
        from_garish = dark_palette()
    finally:
        qapp.setPalette(saved)
    for group in (Group.Active, Group.Inactive, Group.Disabled):
        for role in theme.DARK_COLOURS:
            assert from_light.color(group, role) == from_garish.color(group, role), (group, role)


def test_outline_colours_stand_out_from_window_and_fields(qapp):
    p = dark_palette()
    outline, disabled = QColor(DARK_OUTLINE), QColor(DARK_OUTLINE_DISABLED)
    for bg in (Role.Window, Role.Base, Role.AlternateBase, Role.Button):
        assert contrast_ratio(outline, p.color(bg)) >= COMPONENT, bg
    assert contrast_ratio(disabled, p.color(Role.Window)) >= DISABLED_COMPONENT
    assert contrast_ratio(disabled, p.color(Role.Window)) < contrast_ratio(outline, p.color(Role.Window))


@pytest.mark.parametrize("dark_scheme", [False, True])
def test_control_palettes_give_fusion_the_wanted_outline(qapp, dark_scheme):
    """Fusion's formulas applied to each class's Window colour come out at the outline colour."""
    palettes = theme.dark_control_palettes(dark_palette(), dark_scheme)
    checkbox = lambda w: theme._fusion_checkbox_outline(w, dark_scheme)  # noqa: E731
    formulas = {
        "QCheckBox": checkbox,
        "QAbstractItemView": checkbox,
        "QRadioButton": theme._fusion_radio_outline,
        "QLineEdit": theme._fusion_outline,
        "QAbstractSpinBox": theme._fusion_outline,
        "QComboBox": theme._fusion_outline,
        "QPushButton": theme._fusion_outline,
    }
    assert set(palettes) == set(formulas) | {"QTabBar"}
    window = dark_palette().color(Role.Window)
    for name, derive in formulas.items():
        for group, target in ((Group.Active, DARK_OUTLINE), (Group.Disabled, DARK_OUTLINE_DISABLED)):
            got = derive(palettes[name].color(group, Role.Window))
            assert abs(got.value() - QColor(target).value()) <= 2, (name, group, got.name())
            # the Window brush still paints the window's own colour
            assert palettes[name].brush(group, Role.Window).gradient().stops()[0][1] == dark_palette().color(
                group, Role.Window
            )
        assert contrast_ratio(derive(palettes[name].color(Role.Window)), window) >= COMPONENT


def test_tabs_are_shaded_from_a_lighter_colour_with_readable_titles(qapp):
    tabs = theme.dark_control_palettes(dark_palette(), False)["QTabBar"]
    window = dark_palette().color(Role.Window)
    assert tabs.color(Role.Window) == QColor(theme.DARK_TAB)
    assert window_colour(tabs) == window
    # Fusion: the selected tab from Window.lighter(104), the others down to Window.darker(116)
    for shade in (QColor(theme.DARK_TAB).lighter(104), QColor(theme.DARK_TAB).darker(116)):
        assert contrast_ratio(tabs.color(Role.WindowText), shade) >= TEXT


def test_window_for_outline_inverts_a_darkening(qapp):
    target = QColor("#808080")
    w = window_for_outline(target, lambda c: c.darker(200))
    assert abs(w.darker(200).value() - 128) <= 1


# ---------------------------------------------------------------------- controls as drawn
def test_unticked_check_box_is_clearly_visible_in_the_dark_theme(qtbot, dark):
    """The reported bug: an unticked check box all but vanished on the dark window."""
    off, on, off_disabled = QCheckBox("off"), QCheckBox("on"), QCheckBox("off, disabled")
    on.setChecked(True)
    off_disabled.setEnabled(False)
    host = shown(qtbot, off, on, off_disabled)
    image = grab(host)
    window = dark.color(Role.Window)
    assert QColor(image.pixel(2, 2)) == window  # the host is painted with the window colour
    element = QStyle.SubElement.SE_CheckBoxIndicator
    assert strongest_contrast(image, indicator_rect(off, element, host), window) >= COMPONENT
    assert strongest_contrast(image, indicator_rect(on, element, host), window) >= COMPONENT
    disabled = strongest_contrast(image, indicator_rect(off_disabled, element, host), window)
    assert (
        DISABLED_COMPONENT <= disabled < strongest_contrast(image, indicator_rect(off, element, host), window)
    )
    # the tick itself stands out from the box's field
    inner = indicator_rect(on, element, host).adjusted(3, 3, -3, -3)
    assert strongest_contrast(image, inner, dark.color(Role.Base)) >= TEXT


def test_unticked_radio_button_is_clearly_visible_in_the_dark_theme(qtbot, dark):
    off, off_disabled = QRadioButton("off"), QRadioButton("off, disabled")
    off_disabled.setEnabled(False)
    host = shown(qtbot, off, off_disabled)
    image = grab(host)
    window = dark.color(Role.Window)
    element = QStyle.SubElement.SE_RadioButtonIndicator
    assert strongest_contrast(image, indicator_rect(off, element, host), window) >= COMPONENT
    assert (
        strongest_contrast(image, indicator_rect(off_disabled, element, host), window) >= DISABLED_COMPONENT
    )


def test_fields_have_visible_borders_in_the_dark_theme(qtbot, dark):
    edit, spin, combo = QLineEdit("text"), QSpinBox(), QComboBox()
    combo.addItems(["one", "two"])
    host = shown(qtbot, edit, spin, combo)
    host.setFocus()  # no field has the focus (a focused one has a blue border)
    image = grab(host)
    window = dark.color(Role.Window)
    for field in (edit, spin, combo):
        r = in_host(field, host)
        left_edge = QRect(r.left(), r.top() + r.height() // 3, 2, r.height() // 3)
        assert strongest_contrast(image, left_edge, window) >= COMPONENT, type(field).__name__


def test_check_boxes_of_list_items_are_visible_in_the_dark_theme(qtbot, dark):
    view = QListWidget()
    for text, state in (("unticked", Qt.CheckState.Unchecked), ("ticked", Qt.CheckState.Checked)):
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(state)
        view.addItem(item)
    host = shown(qtbot, view)
    image = grab(host)
    base = dark.color(Role.Base)
    rect = view.visualItemRect(view.item(0))
    box = QRect(rect.left(), rect.top(), rect.height(), rect.height())  # the square at the item's left
    assert strongest_contrast(image, in_host(view.viewport(), host, box), base) >= COMPONENT


def test_import_dialog_target_list_shows_unticked_columns_in_the_dark_theme(qtbot, dark, tmp_path):
    """The import dialog as a student sees it: every column of the file has a visible check box."""
    data = tmp_path / "flowers.csv"
    data.write_text("length,width,species\n5.1,3.5,setosa\n4.9,3.0,versicolor\n", encoding="utf-8")
    dlg = ImportDialog(data)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    targets = dlg.text_page.target_list
    states = [targets.item(i).checkState() for i in range(targets.count())]
    assert states.count(Qt.CheckState.Unchecked) == 2
    image = grab(dlg)
    base = targets.palette().color(Role.Base)
    for i, state in enumerate(states):
        rect = targets.visualItemRect(targets.item(i))
        box = QRect(rect.left(), rect.top(), rect.height(), rect.height())
        contrast = strongest_contrast(image, in_host(targets.viewport(), dlg, box), base)
        assert contrast >= COMPONENT, (targets.item(i).text(), state, contrast)


def test_views_keep_the_window_colour_where_they_show_it(qtbot, dark):
    """A table's scroll-bar corner and the empty end of its header stay the window's colour."""
    table = QTableWidget(30, 2)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
    table.setFixedSize(400, 200)
    host = shown(qtbot, table)
    image = grab(host)
    window = dark.color(Role.Window)
    vbar, hbar = table.verticalScrollBar(), table.horizontalScrollBar()
    corner = QRect(
        vbar.mapTo(host, vbar.rect().topLeft()).x() + 3, hbar.mapTo(host, hbar.rect().topLeft()).y() + 3, 4, 4
    )
    assert strongest_contrast(image, corner, window) < 1.1
    header = table.horizontalHeader()
    end = header.sectionViewportPosition(1) + header.sectionSize(1) + 10
    empty = in_host(header, host, QRect(end, 4, 20, header.height() - 8))
    assert strongest_contrast(image, empty, window) < 1.1


def test_widgets_with_an_outline_palette_still_count_as_dark(qtbot, dark):
    """Code that asks a widget's palette whether the theme is dark (e.g. for a red that reads on it)."""
    widgets = [QCheckBox(), QRadioButton(), QLineEdit(), QSpinBox(), QComboBox(), QListWidget()]
    for w in widgets:
        w.ensurePolished()
        qtbot.addWidget(w)
        assert w.palette().color(Role.Window) != dark.color(Role.Window)  # it has its own palette
        assert is_dark(w.palette()), type(w).__name__
        assert window_colour(w.palette()) == dark.color(Role.Window)


def test_the_light_theme_comes_back_unchanged_after_the_dark_one(qtbot, qapp):
    off, on, edit = QCheckBox("off"), QCheckBox("on"), QLineEdit("text")
    on.setChecked(True)
    view = QListWidget()
    item = QListWidgetItem("item")
    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
    item.setCheckState(Qt.CheckState.Unchecked)
    view.addItem(item)
    apply_theme(qapp, "light")
    host = shown(qtbot, off, on, edit, view)
    host.setFocus()
    before = grab(host)
    try:
        apply_theme(qapp, "dark")
        assert grab(host) != before
        assert QApplication.palette(off).color(Role.Window) != qapp.palette().color(Role.Window)
    finally:
        apply_theme(qapp, "light")
    assert grab(host) == before
    for w in (off, edit, view):  # no palette of a widget class is left over from the dark theme
        assert QApplication.palette(w) == qapp.palette()
    apply_theme(qapp, "system")
