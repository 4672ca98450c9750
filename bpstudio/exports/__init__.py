"""Exports of a trained network to other tools (issue 16): ONNX for inference (:mod:`.onnx_model`)
and a standalone PyTorch script that trains the same network the same way (:mod:`.pytorch_script`).
Qt-free; the heavy libraries (``onnx``) are optional extras imported only when an export needs them."""
