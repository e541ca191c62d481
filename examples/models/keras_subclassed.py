# labels: name::subclassed author::keras task::regression family::keras
"""
A subclassed keras.Model (layers created in __init__, the forward pass written in call(), with a
`training` argument that turns dropout on) predicting 1 value from 8 features, random weights.

Called on a batch of 32 rows as model(features).
Run: python keras_subclassed.py  |  benchit examples/models/keras_subclassed.py
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)


class Regressor(keras.Model):
    def __init__(self, hidden=32, **kwargs):
        super().__init__(**kwargs)
        self.dense1 = keras.layers.Dense(hidden, activation="gelu")
        self.norm = keras.layers.LayerNormalization()
        self.dropout = keras.layers.Dropout(0.2)
        self.dense2 = keras.layers.Dense(hidden, activation="gelu")
        self.out = keras.layers.Dense(1)

    def call(self, inputs, training=None):
        x = self.norm(self.dense1(inputs))
        x = self.dropout(x, training=training)
        return self.out(self.dense2(x) + x)


model = Regressor()

features = np.random.rand(32, 8).astype("float32")

predictions = model(features)

print(f"predictions: {tuple(predictions.shape)}")
