from setuptools import find_packages, setup

setup(
    name="ram_keras",
    version="0.2.0",
    description="The Recurrent Attention Model (Mnih et al., 2014) in Keras 3 / TensorFlow 2",
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    # The experiment configs travel with the package as ram_keras.configs, so that
    # `python -m ram_keras.train run_mnist` works from any folder.
    packages=find_packages(include=["ram_keras", "ram_keras.*"]) + ["ram_keras.configs"],
    package_dir={"ram_keras.configs": "configs"},
    python_requires=">=3.10",
    install_requires=[
        "tensorflow>=2.16,<2.22",
        # The Keras minor version CI tests (.ci/run installs the newest allowed): ram_keras
        # relies on two Keras internals that no public API replaces, which a minor release
        # may change, RecurrentAttention._maybe_symbolic_build (see its docstring) and the
        # optimizer's moving average of the weights (training/averaging.py). Widen it only
        # after the tests pass on the new version.
        "keras>=3.15,<3.16",
        "numpy>=1.26,<3",
        # MP4 movies (cv2.VideoWriter).
        "opencv-python-headless>=4.8,<6",
        "h5py>=3.10,<4",
        "matplotlib>=3.8,<4",
        "pillow>=10,<14",
    ],
    extras_require={"test": ["pytest>=7"], "tensorboard": ["tensorboard>=2.16,<2.22"]},
    entry_points={
        "console_scripts": [
            "ram-train=ram_keras.train:console",
            "ram-evaluate=ram_keras.evaluate:console",
            "ram-plot=ram_keras.plot:console",
        ]
    },
)
