package composer
