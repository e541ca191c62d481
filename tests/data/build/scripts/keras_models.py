# A Keras Sequential model and a subclassed model with two inputs (keras.export cannot do the latter).
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import keras

class Two(keras.Model):
    def __init__(self):
        super().__init__(); self.a = keras.layers.Dense(4); self.b = keras.layers.Dense(4)
    def call(self, x, y): return self.a(x) + self.b(y)

seq = keras.Sequential([keras.Input((16,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)])
x = np.random.rand(2, 16).astype("float32")
print(seq(x).shape)
print(Two()(x[:, :3], x[:, 3:8]).shape)
