# labels: name::mobilenetv3small author::keras task::image_classification family::keras
"""
MobileNetV3Small from keras.applications (hard-swish, squeeze-and-excitation; its Rescaling
preprocessing layer is part of the model).

Built with weights=None (random, nothing downloaded) for 32x32 RGB images and 10 classes, and
called on a batch of 2 images the way a user calls a Keras model: model(images).
With random weights the activations vanish through the eval-mode BatchNormalizations: every
image gets the same 0.1 for each class (a model whose reference outputs are constant).
Run: python keras_mobilenetv3small.py  |  benchit examples/models/keras_mobilenetv3small.py
"""

import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(0)

model = tf.keras.applications.MobileNetV3Small(weights=None, input_shape=(32, 32, 3), classes=10)

images = np.random.rand(2, 32, 32, 3).astype("float32") * 255.0

probabilities = model(images)

print(f"predicted classes: {np.argmax(probabilities, axis=-1).tolist()}")
