# labels: name::resnet50 author::keras task::image_classification family::keras
"""
ResNet50 from keras.applications (bottleneck residual blocks, batch normalization, 25 M
parameters with a 10-class head).

Built with weights=None (random, nothing downloaded) for 64x64 RGB images and 10 classes, and
called on a batch of 2 images the way a user calls a Keras model: model(images).
Run: python keras_resnet50.py  |  benchit examples/models/keras_resnet50.py
"""

import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(0)

model = tf.keras.applications.ResNet50(weights=None, input_shape=(64, 64, 3), classes=10)

images = np.random.rand(2, 64, 64, 3).astype("float32") * 255.0

probabilities = model(images)

print(f"predicted classes: {np.argmax(probabilities, axis=-1).tolist()}")
