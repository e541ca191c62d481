"""Keras 3: a Sequential, a Functional and a subclassed model, and a second Sequential of the same architecture."""

import numpy as np
import keras


class Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(8, activation="relu")
        self.out = keras.layers.Dense(3)

    def call(self, x):
        return self.out(self.hidden(x))


sequential = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5), keras.layers.Dense(2)])
inputs = keras.Input((6,))
functional = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Dense(7, activation="relu")(inputs)))
subclassed = Subclassed()
twin = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5), keras.layers.Dense(2)])

x4 = np.random.rand(2, 4).astype("float32")
sequential(x4)
functional(np.random.rand(1, 6).astype("float32"))
for _ in range(3):
    subclassed(x4)
twin(x4)
predicted = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
predicted.predict(np.random.rand(70, 3).astype("float32"), verbose=0)  # 3 batches of at most 32
for name, model in (("sequential", sequential), ("functional", functional), ("subclassed", subclassed)):
    print(f"expect {name} params={model.count_params()}")
