# labels: name::functional_cnn author::keras task::image_classification family::keras
"""
A small CNN built with the Keras functional API (Conv2D + BatchNormalization + MaxPooling x2,
GlobalAveragePooling, Dense softmax over 10 classes) for 28x28 grayscale images, random weights.

Called with model.predict() on 64 images (two batches of 32), as a user scores a data set.
Run: python keras_functional_cnn.py  |  benchit examples/models/keras_functional_cnn.py
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)

inputs = keras.Input(shape=(28, 28, 1), name="image")
x = keras.layers.Conv2D(16, 3, padding="same")(inputs)
x = keras.layers.BatchNormalization()(x)
x = keras.layers.ReLU()(x)
x = keras.layers.MaxPooling2D()(x)
x = keras.layers.Conv2D(32, 3, padding="same")(x)
x = keras.layers.BatchNormalization()(x)
x = keras.layers.ReLU()(x)
x = keras.layers.MaxPooling2D()(x)
x = keras.layers.GlobalAveragePooling2D()(x)
outputs = keras.layers.Dense(10, activation="softmax", name="digit")(x)
model = keras.Model(inputs, outputs, name="small_cnn")

images = np.random.rand(64, 28, 28, 1).astype("float32")

probabilities = model.predict(images, verbose=0)

print(f"predictions: {probabilities.shape}")
