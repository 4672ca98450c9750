"""The network canvas: the scene, its items and edges, layout, legend, editing, export, and the inspector of
the selection.
"""
