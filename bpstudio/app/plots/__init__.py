"""The pyqtgraph plots: loss and accuracy curves, the decision boundary, gradient norms and weight
histograms, their shared axes and frame scheduling.
"""
