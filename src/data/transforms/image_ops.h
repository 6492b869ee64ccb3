// Pixel operations on uint8 RGB or gray images, with PIL's definitions (ImageOps, ImageEnhance,
// Image.transform) because timm's RandAugment and torchvision's ColorJitter are defined by them.
#pragma once
#include <opencv2/core.hpp>

namespace softvit::image_ops {

// PIL's "L" conversion (0.299 R + 0.587 G + 0.114 B); gray images are returned as they are.
cv::Mat luminance(const cv::Mat& image);

// ImageEnhance: blend with a degenerate image, out = degenerate + factor * (image - degenerate).
void brightness(cv::Mat& image, double factor);  // degenerate: black
void contrast(cv::Mat& image, double factor);    // degenerate: the mean luminance, everywhere
void saturation(cv::Mat& image, double factor);  // degenerate: the luminance (PIL's Color)
void sharpness(cv::Mat& image, double factor);   // degenerate: 3x3 smooth (1 1 1/1 5 1/1 1 1), border kept
// Shifts the hue by `shift` turns of the colour circle (torchvision adjust_hue), in [-0.5, 0.5].
void hue(cv::Mat& image, double shift);

// ImageOps.
void autocontrast(cv::Mat& image);  // per channel: stretch min..max to 0..255
void equalize(cv::Mat& image);      // per channel histogram equalisation, PIL's integer recipe
void invert(cv::Mat& image);
void posterize(cv::Mat& image, int bits);                         // keep the top `bits` bits
void solarize(cv::Mat& image, int threshold);                     // invert values >= threshold
void solarize_add(cv::Mat& image, int add, int threshold = 128);  // add to values < threshold

// Image.transform(AFFINE): output pixel (x, y) takes the input at (a x + b y + c, d x + e y + f),
// outside filled with `fill`.
void affine(cv::Mat& image, const cv::Matx23d& output_to_input, int interpolation, const cv::Scalar& fill);
// Counter-clockwise rotation about the centre (PIL's rotate, torchvision's RandomRotation).
void rotate(cv::Mat& image, double degrees, int interpolation, const cv::Scalar& fill);

}  // namespace softvit::image_ops
