# labels: name::densenet121 author::keras task::image_classification family::keras
"""
DenseNet121 from keras.applications (densely connected blocks: each layer concatenates all
earlier feature maps).

Built with weights=None (random, nothing downloaded) for 32x32 RGB images and 10 classes, and
called on a batch of 2 images the way a user calls a Keras model: model(images).
Run: python keras_densenet121.py  |  benchit examples/models/keras_densenet121.py
"""

import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(0)

model = tf.keras.applications.DenseNet121(weights=None, input_shape=(32, 32, 3), classes=10)

images = np.random.rand(2, 32, 32, 3).astype("float32") * 255.0

probabilities = model(images)

print(f"predicted classes: {np.argmax(probabilities, axis=-1).tolist()}")
