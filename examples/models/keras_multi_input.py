# labels: name::multi_input author::keras task::tabular_classification family::keras
"""
A functional Keras model with two named inputs (a 16-feature vector and a 10-step sequence of
4 channels) merged into one 2-class softmax, random weights.

Called with a dict of inputs keyed by input name: model({"numeric": ..., "sequence": ...}).
Run: python keras_multi_input.py  |  benchit examples/models/keras_multi_input.py
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)

numeric = keras.Input(shape=(16,), name="numeric")
sequence = keras.Input(shape=(10, 4), name="sequence")
a = keras.layers.Dense(32, activation="relu")(numeric)
b = keras.layers.Conv1D(16, 3, activation="relu")(sequence)
b = keras.layers.GlobalMaxPooling1D()(b)
merged = keras.layers.Concatenate()([a, b])
outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.Dense(32, activation="relu")(merged))
model = keras.Model(inputs={"numeric": numeric, "sequence": sequence}, outputs=outputs)

batch = {
    "numeric": np.random.rand(8, 16).astype("float32"),
    "sequence": np.random.rand(8, 10, 4).astype("float32"),
}

probabilities = model(batch)

print(f"probabilities: {tuple(probabilities.shape)}")
