# labels: name::efficientnetb0 author::keras task::image_classification family::keras
"""
EfficientNetB0 from keras.applications (MBConv blocks with squeeze-and-excitation; its Rescaling
and Normalization preprocessing layers are part of the model).

Built with weights=None (random, nothing downloaded) for 32x32 RGB images and 10 classes, and
called on a batch of 2 images the way a user calls a Keras model: model(images).
Run: python keras_efficientnetb0.py  |  benchit examples/models/keras_efficientnetb0.py
"""

import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(0)

model = tf.keras.applications.EfficientNetB0(weights=None, input_shape=(32, 32, 3), classes=10)

images = np.random.rand(2, 32, 32, 3).astype("float32") * 255.0

probabilities = model(images)

print(f"predicted classes: {np.argmax(probabilities, axis=-1).tolist()}")
