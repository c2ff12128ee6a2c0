from setuptools import find_packages, setup

setup(
    name="ram_keras",
    version="0.1.0",
    description="The Recurrent Attention Model (Mnih et al., 2014) in Keras 3 / TensorFlow 2",
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["ram_keras", "ram_keras.*"]),
    python_requires=">=3.10",
    install_requires=[
        "tensorflow>=2.16,<2.22",
        "keras>=3.3,<3.16",
        "numpy>=1.26,<3",
        "opencv-python-headless>=4.8,<6",
        "h5py>=3.10,<4",
        "matplotlib>=3.8,<4",
        "pillow>=10,<14",
    ],
    extras_require={"test": ["pytest>=7"], "tensorboard": ["tensorboard>=2.16,<2.22"]},
)
