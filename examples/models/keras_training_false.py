# labels: name::training_false author::keras task::image_classification family::keras
"""
A functional Keras model with two residual blocks (Conv2D + BatchNormalization + Dropout) for
32x32 RGB images, random weights.

Called as model(images, training=False): the inference form Keras recommends for models with
BatchNormalization and Dropout, passing `training` explicitly.
Run: python keras_training_false.py  |  benchit examples/models/keras_training_false.py
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)


def residual_block(x, filters):
    shortcut = keras.layers.Conv2D(filters, 1, padding="same")(x)
    y = keras.layers.Conv2D(filters, 3, padding="same")(x)
    y = keras.layers.BatchNormalization()(y)
    y = keras.layers.Activation("relu")(y)
    y = keras.layers.Conv2D(filters, 3, padding="same")(y)
    y = keras.layers.BatchNormalization()(y)
    return keras.layers.Activation("relu")(keras.layers.Add()([shortcut, y]))


inputs = keras.Input(shape=(32, 32, 3))
x = residual_block(inputs, 16)
x = keras.layers.MaxPooling2D()(x)
x = residual_block(x, 32)
x = keras.layers.GlobalAveragePooling2D()(x)
x = keras.layers.Dropout(0.3)(x)
outputs = keras.layers.Dense(10)(x)
model = keras.Model(inputs, outputs)

images = np.random.rand(4, 32, 32, 3).astype("float32")

logits = model(images, training=False)

print(f"logits: {tuple(logits.shape)}")
