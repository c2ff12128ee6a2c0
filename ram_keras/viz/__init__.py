"""Pictures: glimpses of the classifier, Catch games, movies, training curves, TensorBoard.

Each module draws one kind of thing: `figures` (what every picture shares),
`glimpses`, `catch_games`, `movies` (GIF and MP4), `curves`, `tensorboard`.
Import the one you need; none is loaded with `ram_keras`.
"""
