# project root of this fixture project
