# labels: name::sequential_mlp author::keras task::tabular_classification family::keras
"""
A plain keras.Sequential MLP (Dense-ReLU-Dropout x2, softmax over 3 classes) for 20 tabular
features, random weights.

Called on a batch of 16 rows the way a user calls a Keras model: model(features).
Run: python keras_sequential_mlp.py  |  benchit examples/models/keras_sequential_mlp.py
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)

model = keras.Sequential(
    [
        keras.Input(shape=(20,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dropout(0.1),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dropout(0.1),
        keras.layers.Dense(3, activation="softmax"),
    ]
)

features = np.random.rand(16, 20).astype("float32")

probabilities = model(features)

print(f"probabilities: {tuple(probabilities.shape)}")
