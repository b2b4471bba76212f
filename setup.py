"""Packaging read from settings.ini (nbdev 2.x layout). Extras: dev, llamacpp, ds1000, gpu."""
from configparser import ConfigParser
from pathlib import Path
import setuptools

cfg = ConfigParser(delimiters=['='])
cfg.read(Path(__file__).parent/'settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']

def reqs(key): return cfg.get(key, '').split()

extras = {
    'dev': reqs('dev_requirements'),
    # the embedded default backend; builds llama.cpp from source once (~3 min on 2 cores), with its OpenAI-compatible server
    'llamacpp': ['llama-cpp-python[server]==0.3.36'],
    # DS-1000's libraries; problems whose library is missing are reported as skipped
    'ds1000': ['numpy', 'pandas', 'scipy', 'scikit-learn', 'matplotlib', 'seaborn'],
    # the paper-scale path on GPUs
    'gpu': ['vllm>=0.6', 'deepspeed>=0.15'],
}
extras['all'] = sorted({r for k, v in extras.items() if k != 'gpu' for r in v})

setuptools.setup(
    name=cfg['lib_name'], version=cfg['version'], description=cfg['description'],
    long_description=(Path(__file__).parent/'README.md').read_text(encoding='utf-8') if (Path(__file__).parent/'README.md').exists() else '',
    long_description_content_type='text/markdown',
    author=cfg['author'], author_email=cfg['author_email'], license='Apache-2.0', url=cfg['git_url'],
    packages=setuptools.find_packages(include=[cfg['lib_name'], cfg['lib_name'] + '.*']),
    include_package_data=True, package_data={cfg['lib_name']: ['resources/*', 'resources/**/*']},
    python_requires='>=' + cfg['min_python'], install_requires=reqs('requirements'), extras_require=extras,
    entry_points={'console_scripts': cfg['console_scripts'].split(), 'nbdev': [f"{cfg['lib_name']}={cfg['lib_name']}._modidx:d"]},
    zip_safe=False,
)
