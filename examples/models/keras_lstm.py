# labels: name::lstm_text author::keras task::text_classification family::keras
"""
A Keras text classifier: Embedding (vocabulary 1000, width 32) -> LSTM(32) -> Dense sigmoid,
random weights.

Called on a batch of 4 sequences of 20 integer token ids as model(token_ids).
Run: python keras_lstm.py  |  benchit examples/models/keras_lstm.py
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)

model = keras.Sequential(
    [
        keras.Input(shape=(20,), dtype="int32"),
        keras.layers.Embedding(1000, 32),
        keras.layers.LSTM(32),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
)

token_ids = np.random.randint(0, 1000, size=(4, 20)).astype("int32")

scores = model(token_ids)

print(f"scores: {[round(float(s), 3) for s in np.asarray(scores).ravel()]}")
