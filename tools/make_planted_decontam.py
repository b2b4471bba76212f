"""Write wizardcoder_nb/resources/decontam/planted.jsonl: the planted set that measures decontamination.

40 contaminated rows (8 per rewriting style) of HumanEval and MBPP test problems and 40 clean near-misses (a task close
to a benchmark item that is a different problem). Reworded, user-story and translated rows and the near-misses are
written by hand here; renamed and solution-only rows are made from the benchmark item (function and parameters renamed,
or the reference solution alone under a generic instruction). Each row: id, style, task_id (the item it copies, or for
a near-miss the item it is close to), truth (task_id or null), instruction, input, output.

    .venv/bin/python tools/make_planted_decontam.py
"""
import json, re
from pathlib import Path
from wizardcoder_nb import data

REWORDED = {
    'HumanEval/0': "You receive an array of floating-point values together with a distance limit. Report whether at least one pair of entries lies nearer to each other than that limit, returning a boolean.",
    'HumanEval/2': "Given a positive real number, give back only its fractional part, i.e. what remains after removing the largest whole number not exceeding it.",
    'HumanEval/16': "Count how many different letters appear in a piece of text when uppercase and lowercase versions of a letter are considered identical.",
    'HumanEval/64': "Implement a routine that counts the vowels a, e, i, o, u in a single word, case-insensitively; the letter y is also counted as a vowel, but only when it is the last character of the word.",
    'Mbpp/11': "Delete the first and the last appearance of a specified character in a string and return what is left.",
    'Mbpp/20': "Decide whether an integer is a Woodall number, that is, whether it can be written as n * 2**n - 1 for some positive integer n.",
    'Mbpp/76': "Compute how many squares of any size can be found in a rectangular grid of m by n unit cells.",
    'Mbpp/300': "How many binary strings of length 2n are there in which the first n bits contain as many ones as the last n bits? Write a function for it.",
}
USER_STORY = {
    'HumanEval/11': "Our firmware team stores flag sets as text made of 0s and 1s. When two devices sync, I need to combine two such flag strings position by position so that a bit is 1 exactly when the two inputs differ, and get the result back as the same kind of text. Can you write that helper?",
    'HumanEval/29': "In my autocomplete widget the user has typed the first few letters. I have the full vocabulary as a list of strings and need a function that returns only the entries starting with what was typed, keeping their order.",
    'HumanEval/104': "My kid's maths game shows numbers, and only numbers built entirely from odd digits (1, 3, 5, 7, 9) should be used. Given the list of positive integers from the game, I need those that have no even digit anywhere, sorted from smallest to largest.",
    'HumanEval/162': "Before uploading files, our service labels each text with a checksum: the MD5 hash of the text written as a hex string. An empty text should get no label at all (None). Please write the function that produces the label.",
    'Mbpp/12': "I keep a spreadsheet as a list of rows, each row a list of numbers. I want to reorder the rows so that the row with the smallest total is at the top and the largest total at the bottom. Write the function.",
    'Mbpp/57': "In a puzzle app players get a handful of digit tiles and must build the largest number they can by placing all the tiles side by side. Write a function that takes the list of digits (and its length) and returns that largest number.",
    'Mbpp/127': "I'm teaching recursion and my students may not use the * operator. Write a function that returns the product of two integers using only addition, subtraction and recursion, so that multiply_int(10, 20) gives 200.",
    'Mbpp/480': "For a word-game hint, I need to know which letter appears most often in the player's word. Write a function that takes a string and returns its most frequent character.",
}
TRANSLATED = {
    'HumanEval/40': "Schreibe eine Funktion, die eine Liste ganzer Zahlen erhält und True zurückgibt, wenn es drei Elemente an verschiedenen Positionen gibt, deren Summe null ist, andernfalls False.",
    'HumanEval/92': "Crea una función que reciba tres números y devuelva True si todos son enteros y uno de ellos es igual a la suma de los otros dos; en cualquier otro caso devuelve False.",
    'HumanEval/150': "Écrivez une fonction qui prend n, x et y et qui renvoie x si n est un nombre premier, et y sinon.",
    'HumanEval/35': "Schreiben Sie eine Funktion, die das größte Element einer Liste zurückgibt.",
    'Mbpp/222': "Écrivez une fonction qui vérifie si tous les éléments d'un tuple ont le même type de données.",
    'Mbpp/240': "Escribe una función que reemplace el último elemento de una lista por todos los elementos de otra lista y devuelva la lista resultante.",
    'Mbpp/85': "Schreiben Sie eine Funktion, die die Oberfläche einer Kugel mit dem Radius r berechnet.",
    'Mbpp/373': "Écrivez une fonction qui calcule le volume d'un pavé droit à partir de sa longueur, de sa largeur et de sa hauteur.",
}
RENAMED = {  # item: {old name: new name}, applied to the prompt (HumanEval) or the text and first test (MBPP)
    'HumanEval/5': {'intersperse': 'weave_separator', 'numbers': 'values', 'delimeter': 'sep'},
    'HumanEval/25': {'factorize': 'prime_decomposition', 'n': 'number'},
    'HumanEval/55': {'fib': 'fibonacci_term', 'n': 'k'},
    'HumanEval/80': {'is_happy': 'all_triples_distinct', 's': 'text'},
    'Mbpp/301': {'dict_depth': 'nesting_level'},
    'Mbpp/181': {'common_prefix': 'shared_start'},
    'Mbpp/397': {'median_numbers': 'middle_of_three'},
    'Mbpp/157': {'encode_list': 'run_lengths'},
}
SOLUTION_ONLY = {  # item: the generic instruction the reference solution is given under
    'HumanEval/20': 'Add type hints and comments to this function.',
    'HumanEval/70': 'Explain what the following code does.',
    'HumanEval/100': 'Rewrite this function so that it uses a list comprehension.',
    'HumanEval/145': 'Write unit tests for this function.',
    'Mbpp/13': 'Explain what the following code does.',
    'Mbpp/109': 'Add a docstring to this function.',
    'Mbpp/205': 'Refactor this code for readability.',
    'Mbpp/229': 'What is the time complexity of this function?',
}
NEAR_MISS = {  # item it is close to: a different problem (checked against every HumanEval and MBPP test item)
    'HumanEval/0': "Given a list of floats and a threshold, count the pairs of values whose difference is larger than the threshold.",
    'HumanEval/2': "Given a positive real number, return how many digits it has after the decimal point.",
    'HumanEval/11': "Given two strings of 0s and 1s of equal length, return the number of positions where both strings have a 1.",
    'HumanEval/16': "Return the letter that appears in every word of a sentence, ignoring case, or an empty string when there is none.",
    'HumanEval/29': "From a list of file names, keep only those whose extension is in a given set of allowed extensions.",
    'HumanEval/35': "Return the difference between the largest and the second largest distinct values of a list.",
    'HumanEval/40': "Given a list of integers and a target, return every pair of indices whose values add up to the target.",
    'HumanEval/55': "Return the n-th number of the Padovan sequence, where each term is the sum of the terms two and three places before it.",
    'HumanEval/64': "Given a sentence, return the word that contains the most consonants; on a tie, return the first such word.",
    'HumanEval/92': "Write a function that takes three side lengths and says whether they form an obtuse triangle (one angle greater than 90 degrees).",
    'HumanEval/104': "From a list of positive integers, return those whose digits are in strictly increasing order from left to right.",
    'HumanEval/150': "Return the number of twin prime pairs (p, p + 2) whose members are both below n.",
    'HumanEval/162': "Given a file path, compute the SHA-256 digest of the file's contents, reading it in 64 KiB chunks.",
    'HumanEval/5': "Split a list into chunks of size k and return the list of chunks; the last chunk may be shorter.",
    'HumanEval/25': "Return the sum of the distinct prime divisors of a positive integer.",
    'HumanEval/80': "Given a string, return the length of the longest substring in which no character repeats.",
    'HumanEval/20': "Given a list of points in the plane, return the pair with the largest Euclidean distance between them.",
    'HumanEval/70': "Shuffle a list so that no element stays at its original index, using a seeded random generator.",
    'HumanEval/100': "Given n, return the first n rows of Pascal's triangle as a list of lists.",
    'HumanEval/145': "Sort a list of strings by how many vowels each string contains, keeping the original order for ties.",
    'Mbpp/11': "Remove every vowel from a string except the first one and return the new string.",
    'Mbpp/12': "Given a matrix, return the index of the column with the largest sum.",
    'Mbpp/20': "Decide whether an integer is a Mersenne prime, i.e. a prime of the form 2**p - 1.",
    'Mbpp/57': "Given a list of non-negative integers, arrange them so that concatenated they form the smallest possible number, returned as a string.",
    'Mbpp/76': "Count the number of distinct paths from the top-left to the bottom-right cell of an m by n grid moving only right or down, avoiding blocked cells given as a set.",
    'Mbpp/127': "Divide two integers without using the division, multiplication or modulo operators and return the quotient truncated toward zero.",
    'Mbpp/222': "Given a list of dictionaries, check that every dictionary has exactly the same set of keys.",
    'Mbpp/240': "Rotate a list to the left by k positions and return it.",
    'Mbpp/300': "Count the binary strings of length n that contain no two consecutive ones.",
    'Mbpp/480': "Given a string, return the characters that occur exactly once, in the order they first appear.",
    'Mbpp/85': "Compute the volume of a spherical cap given the sphere's radius and the height of the cap.",
    'Mbpp/373': "Given the coordinates of two opposite corners of a box, check whether a point lies inside it.",
    'Mbpp/301': "Flatten a nested dictionary into a single-level dictionary whose keys are the dotted paths, e.g. {'a': {'b': 1}} becomes {'a.b': 1}.",
    'Mbpp/181': "Find the longest common suffix shared by all strings in a list.",
    'Mbpp/397': "Return the mode of a list of numbers; if several values are equally frequent, return the smallest.",
    'Mbpp/157': "Decode a run-length encoded string such as '3a2b' back into 'aaabb'.",
    'Mbpp/13': "Given a text, return the five longest distinct words, longest first.",
    'Mbpp/109': "Return the binary string's value after reversing its bits, as a decimal integer.",
    'Mbpp/205': "Given a tuple of integers, return a tuple of their absolute values in descending order.",
    'Mbpp/229': "Partition a list around a pivot value: the elements smaller than the pivot first, then those equal to it, then the larger ones.",
}

def rename(text: str, names: dict) -> str:
    for old, new in names.items(): text = re.sub(rf'\b{re.escape(old)}\b', new, text)
    return text

def renamed_row(p, names: dict) -> str:
    if p.benchmark == 'humaneval': return 'Complete the following Python function.\n\n' + rename(p.prompt.strip(), names)
    return rename(f"{p.prompt.strip()}\nYour code should pass this test:\n{p.meta['test_list'][0]}", names)

def solution_of(p) -> str:
    if p.benchmark == 'mbpp': return p.canonical_solution.strip()
    sig = next(l for l in p.prompt.splitlines() if l.startswith('def '))
    return sig + '\n' + p.canonical_solution.strip('\n')

def main():
    probs = {p.task_id: p for b in ('humaneval', 'mbpp') for p in data.load_benchmark(b)}
    rows = []
    def add(style, task, instruction, truth=True, inp=''):
        rows.append(dict(id=f'{style}-{len(rows)}', style=style, task_id=task, truth=task if truth else None,
                         instruction=instruction, input=inp, output=''))
    for style, texts in (('reworded', REWORDED), ('user-story', USER_STORY), ('translated', TRANSLATED)):
        for task, t in texts.items(): add(style, task, t)
    for task, names in RENAMED.items(): add('renamed', task, renamed_row(probs[task], names))
    for task, instr in SOLUTION_ONLY.items(): add('solution-only', task, instr, inp=solution_of(probs[task]))
    for task, t in NEAR_MISS.items(): add('near-miss', task, t, truth=False)
    out = Path(__file__).parent.parent / 'wizardcoder_nb' / 'resources' / 'decontam' / 'planted.jsonl'
    out.write_text(''.join(json.dumps(r, ensure_ascii=False) + '\n' for r in rows))
    print(f'{out}: {len(rows)} rows')

if __name__ == '__main__':
    main()
