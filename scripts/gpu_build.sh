#!/usr/bin/env bash
# On the GPU machine (see ../shared/gpu/README.md): builds OpenCV, libzip and libarchive from .gpu/
# once (the machine has none of them), then softvit for Hopper into ${BUILD_DIR:-build-gpu}.
# .gpu/ holds OpenCV's trimmed source (../shared/gpu/fetch-opencv-src.sh) and Debian's libzip and
# libarchive source tarballs (apt-get source --download-only libzip libarchive:
# libzip_1.7.3.orig.tar.xz, libarchive_3.6.2.orig.tar.xz).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .gpu/build-opencv.sh >/dev/null
if [ ! -f /tmp/libzip/lib/pkgconfig/libzip.pc ] && [ ! -f /tmp/libzip/lib64/pkgconfig/libzip.pc ]; then
  work=$(mktemp -d)
  tar xJf .gpu/libzip_*.orig.tar.xz -C "$work"
  cmake -S "$work"/libzip-* -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/tmp/libzip \
    -DBUILD_TOOLS=OFF -DBUILD_REGRESS=OFF -DBUILD_EXAMPLES=OFF -DBUILD_DOC=OFF -DENABLE_GNUTLS=OFF \
    -DENABLE_OPENSSL=OFF -DENABLE_MBEDTLS=OFF -DENABLE_COMMONCRYPTO=OFF -DENABLE_WINDOWS_CRYPTO=OFF \
    -DENABLE_BZIP2=OFF -DENABLE_LZMA=OFF -DENABLE_ZSTD=OFF -DCMAKE_POLICY_VERSION_MINIMUM=3.5 >/dev/null
  cmake --build "$work/build" --target install >/dev/null
  rm -rf "$work"
fi
# libarchive reads the WebDataset shards (.tar, .tar.gz): zlib only, no tools, no tests.
if [ ! -f /tmp/libarchive/lib/pkgconfig/libarchive.pc ] && [ ! -f /tmp/libarchive/lib64/pkgconfig/libarchive.pc ]; then
  work=$(mktemp -d)
  tar xf "$(ls .gpu/libarchive_*.orig.tar.{xz,gz,bz2} 2>/dev/null | head -1)" -C "$work"  # not the .asc
  cmake -S "$work"/libarchive-* -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX=/tmp/libarchive -DENABLE_ZLIB=ON -DENABLE_OPENSSL=OFF -DENABLE_MBEDTLS=OFF \
    -DENABLE_NETTLE=OFF -DENABLE_LIBB2=OFF -DENABLE_LZ4=OFF -DENABLE_LZO=OFF -DENABLE_LZMA=OFF -DENABLE_ZSTD=OFF \
    -DENABLE_BZip2=OFF -DENABLE_LIBXML2=OFF -DENABLE_EXPAT=OFF -DENABLE_PCREPOSIX=OFF -DENABLE_LIBGCC=OFF \
    -DENABLE_CNG=OFF -DENABLE_TAR=OFF -DENABLE_CPIO=OFF -DENABLE_CAT=OFF -DENABLE_XATTR=OFF -DENABLE_ACL=OFF \
    -DENABLE_ICONV=OFF -DENABLE_TEST=OFF -DCMAKE_POLICY_VERSION_MINIMUM=3.5 >/dev/null
  cmake --build "$work/build" --target install >/dev/null
  rm -rf "$work"
fi
# nvcc for softvit's own kernels (CMake's check_language(CUDA) looks on the PATH).
[ -x /usr/local/cuda/bin/nvcc ] && export PATH=/usr/local/cuda/bin:$PATH
export PKG_CONFIG_PATH=/tmp/libzip/lib/pkgconfig:/tmp/libzip/lib64/pkgconfig:/tmp/libarchive/lib/pkgconfig:/tmp/libarchive/lib64/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
TORCH_PREFIX=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
BUILD_DIR=${BUILD_DIR:-build-gpu}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTORCH_CUDA_ARCH_LIST=9.0 -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DCMAKE_PREFIX_PATH="$TORCH_PREFIX;/tmp/opencv;/tmp/libzip;/tmp/libarchive" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" ${BUILD_TARGET:+--target "$BUILD_TARGET"}  # BUILD_TARGET=softvit: the binary alone
